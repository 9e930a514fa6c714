from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "whatworks.calls"
    label = "calls"

    def ready(self) -> None:
        from whatworks.calls.newsletter import open_calls
        from whatworks.calls.selectors import calls_closed, calls_open, calls_upcoming
        from whatworks.core.extensions import newsletter_sections, project_links

        newsletter_sections.register("calls", open_calls, order=30)
        # The calls (visible to this user) whose accepted applicants join the project.
        project_links.register(
            "calls",
            lambda *, project, user: [
                call
                for listing in (calls_open, calls_upcoming, calls_closed)
                for call in listing(user=user).filter(project_ref=project.reference)
            ],
            heading="Calls for partners",
            order=10,
        )
