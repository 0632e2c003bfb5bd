from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "apps.privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Registers the deploy checks and doctor's probes this app owns.
        from apps.privacy import checks  # noqa: F401
