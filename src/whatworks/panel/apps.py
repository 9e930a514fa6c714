from django.apps import AppConfig


class PanelConfig(AppConfig):
    name = "whatworks.panel"
    label = "panel"
