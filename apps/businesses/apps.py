from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_staff_groups(sender, **kwargs):
    from apps.businesses.roles import ensure_staff_groups

    ensure_staff_groups()


class BusinessesConfig(AppConfig):
    name = "apps.businesses"
    verbose_name = "Businesses"

    def ready(self):
        # Groups reference permissions of every app, so they are (re)built after migrate.
        post_migrate.connect(_ensure_staff_groups, sender=self)
