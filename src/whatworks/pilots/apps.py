from django.apps import AppConfig


class PilotsConfig(AppConfig):
    name = "whatworks.pilots"
    label = "pilots"
