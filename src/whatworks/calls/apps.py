from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "whatworks.calls"
    label = "calls"
