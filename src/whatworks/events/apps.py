from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "whatworks.events"
    label = "events"

    def ready(self) -> None:
        from whatworks.core.extensions import event_choices, newsletter_sections, project_links
        from whatworks.events import tasks  # noqa: F401  (binds the jobs in events/jobs.py)
        from whatworks.events.links import project_events
        from whatworks.events.newsletter import upcoming_events
        from whatworks.events.selectors import published_event_choices

        newsletter_sections.register("events", upcoming_events, order=20)
        # The events (as this user may see them) whose project_ref names the project.
        project_links.register("events", project_events, heading="Events", order=30)
        # Other parts (the forum) link to a published event by its slug.
        event_choices.register("events", published_event_choices)
