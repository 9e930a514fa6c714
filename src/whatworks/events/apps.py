from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "whatworks.events"
    label = "events"
