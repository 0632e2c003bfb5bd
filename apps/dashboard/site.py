"""The staff admin site: VoiceHive branding and a dashboard on the index page."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404
from django.urls import path, reverse

from apps.businesses import switcher
from apps.businesses.tenancy import access_for
from apps.dashboard import metrics, reports, views


class VoiceHiveAdminSite(admin.AdminSite):
    site_header = "VoiceHive"
    site_title = "VoiceHive back office"
    index_title = "Today at a glance"

    def index(self, request, extra_context=None):
        businesses = switcher.businesses_in_view(request).values("pk")
        extra_context = {
            **(extra_context or {}),
            "dashboard": metrics.dashboard(businesses),
        }
        return super().index(request, extra_context)

    def each_context(self, request):
        # The header's business switcher, for staff of several businesses, and the
        # front desk's pages, for those whose role reaches them somewhere.
        context = super().each_context(request)
        return {
            **context,
            "business_switcher": switcher.menu(request),
            "front_desk_links": _front_desk_links(request),
        }

    def get_urls(self):
        # Django's "view on site" shortcut looks any row up by id, so whether a 404
        # says "no such row" or "no page for it" would tell staff another business's
        # rows exist. Only rows the user's own admin pages show get that far.
        scoped = path(
            "r/<int:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        report = path("reports/", self.admin_view(views.reports), name="reports")
        return [scoped, report, *super().get_urls()]

    def view_on_site(self, request, content_type_id, object_id):
        if not access_for(request.user).is_operator:
            content_type = ContentType.objects.filter(pk=content_type_id).first()
            model = content_type.model_class() if content_type else None
            model_admin = self._registry.get(model)
            if (
                model_admin is None
                or not model_admin.get_queryset(request).filter(pk=object_id).exists()
            ):
                raise Http404("No such object.")
        return shortcut(request, content_type_id, object_id)


def _front_desk_links(request) -> list[tuple[str, str]]:
    if not request.user.is_active or not request.user.is_staff:
        return []
    access = access_for(request.user)
    links = []
    if access.may_anywhere("appointments.appointment", "view"):
        links.append(("Calendar", reverse("frontdesk:calendar")))
    if access.may_anywhere("appointments.appointment", "add"):
        links.append(("Book", reverse("frontdesk:book")))
    if reports.may_view_reports(request.user):
        links.append(("Reports", reverse("admin:reports")))
    return links
