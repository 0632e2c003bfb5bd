from django.apps import AppConfig


class RoxyConfig(AppConfig):
    name = "apps.roxy"
    verbose_name = "Roxy"
