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

        if apps.is_installed("whatworks.registry"):
            # Interventions (as this user may see them) with a study registered as the project.
            apps.get_app_config("registry").register_link_provider(  # type: ignore[attr-defined]
                "evidence",
                "whatworks.evidence.links.project_evidence",
                heading="Evidence Store",
                order=40,
            )
