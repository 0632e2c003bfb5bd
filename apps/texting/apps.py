from django.apps import AppConfig


class TextingConfig(AppConfig):
    name = "apps.texting"
    verbose_name = "Texting"
