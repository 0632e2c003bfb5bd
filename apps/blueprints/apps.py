from django.apps import AppConfig


class BlueprintsConfig(AppConfig):
    name = "apps.blueprints"
    verbose_name = "Business files"
