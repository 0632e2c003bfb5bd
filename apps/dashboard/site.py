"""The staff admin site: VoiceHive branding and a dashboard on the index page."""

from django.contrib import admin

from apps.businesses.tenancy import businesses_for
from apps.dashboard import metrics


class VoiceHiveAdminSite(admin.AdminSite):
    site_header = "VoiceHive"
    site_title = "VoiceHive back office"
    index_title = "Today at a glance"

    def index(self, request, extra_context=None):
        businesses = businesses_for(request.user).values("pk")
        extra_context = {
            **(extra_context or {}),
            "dashboard": metrics.dashboard(businesses),
        }
        return super().index(request, extra_context)
