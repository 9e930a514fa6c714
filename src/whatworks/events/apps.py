from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "whatworks.events"
    label = "events"

    def ready(self) -> None:
        from django.apps import apps

        if apps.is_installed("whatworks.news"):
            apps.get_app_config("news").register_newsletter_section(  # type: ignore[attr-defined]
                "events", "whatworks.events.newsletter.upcoming_events", order=20
            )
