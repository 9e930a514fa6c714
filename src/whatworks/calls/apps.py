from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "whatworks.calls"
    label = "calls"

    def ready(self) -> None:
        from django.apps import apps

        if apps.is_installed("whatworks.news"):
            apps.get_app_config("news").register_newsletter_section(  # type: ignore[attr-defined]
                "calls", "whatworks.calls.newsletter.open_calls", order=30
            )

        if apps.is_installed("whatworks.registry"):
            from whatworks.calls.selectors import calls_closed, calls_open, calls_upcoming

            # The calls (visible to this user) whose accepted applicants join the project.
            apps.get_app_config("registry").register_link_provider(  # type: ignore[attr-defined]
                "calls",
                lambda *, project, user: [
                    call
                    for listing in (calls_open, calls_upcoming, calls_closed)
                    for call in listing(user=user).filter(project_ref=project.reference)
                ],
                heading="Calls for partners",
                order=10,
            )
