from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the deploy checks and doctor's probes this app owns.
        from apps.core import checks  # noqa: F401
