from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "apps.appointments"
    verbose_name = "Appointments"
