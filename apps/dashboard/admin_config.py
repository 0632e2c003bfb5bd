"""django.contrib.admin with VoiceHive's own site (kept apart: Django allows one default
AppConfig per apps module)."""

from django.contrib.admin.apps import AdminConfig


class VoiceHiveAdminConfig(AdminConfig):
    default_site = "apps.dashboard.site.VoiceHiveAdminSite"
