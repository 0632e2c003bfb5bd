from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    name = "apps.businesses"
    verbose_name = "Businesses"

    def ready(self) -> None:
        # Registers the deploy checks and doctor's probes this app owns.
        from apps.businesses import checks  # noqa: F401
