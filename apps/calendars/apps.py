from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "apps.calendars"
    verbose_name = "Calendars"

    def ready(self) -> None:
        # Registers this app's deploy checks and doctor's probes.
        from apps.calendars import checks  # noqa: F401
