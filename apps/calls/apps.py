from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "apps.calls"
    verbose_name = "Calls"

    def ready(self) -> None:
        # Registers the deploy checks and doctor's probes this app owns.
        from apps.calls import checks  # noqa: F401
