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

        if apps.is_installed("whatworks.registry"):
            # The events (as this user may see them) whose project_ref names the project.
            apps.get_app_config("registry").register_link_provider(  # type: ignore[attr-defined]
                "events", "whatworks.events.links.project_events", heading="Events", order=30
            )
