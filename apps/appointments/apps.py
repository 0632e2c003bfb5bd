from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "apps.appointments"
    verbose_name = "Appointments"

    def ready(self) -> None:
        # Registers the deploy checks and doctor's probes this app owns.
        from apps.appointments import checks  # noqa: F401
