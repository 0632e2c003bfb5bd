from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "apps.calls"
    verbose_name = "Calls"
