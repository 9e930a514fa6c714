from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "whatworks.evidence"
    label = "evidence"

    def ready(self) -> None:
        from django.apps import apps

        if apps.is_installed("whatworks.news"):
            apps.get_app_config("news").register_newsletter_section(  # type: ignore[attr-defined]
                "evidence", "whatworks.evidence.newsletter.new_evidence", order=40
            )
