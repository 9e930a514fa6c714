from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "whatworks.registry"
    label = "registry"
