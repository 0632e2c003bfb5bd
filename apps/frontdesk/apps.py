from django.apps import AppConfig


class FrontdeskConfig(AppConfig):
    name = "apps.frontdesk"
    verbose_name = "Front desk"
