from django.apps import AppConfig


class VapiConfig(AppConfig):
    name = "apps.vapi"
    verbose_name = "VAPI"

    def ready(self) -> None:
        # Registers the deploy checks and doctor's probes this app owns.
        from apps.vapi import checks  # noqa: F401
