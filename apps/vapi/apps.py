from django.apps import AppConfig


class VapiConfig(AppConfig):
    name = "apps.vapi"
    verbose_name = "VAPI"
