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
