from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "whatworks.evidence"
    label = "evidence"

    def ready(self) -> None:
        from whatworks.core.extensions import newsletter_sections, project_links
        from whatworks.evidence.links import project_evidence
        from whatworks.evidence.newsletter import new_evidence

        newsletter_sections.register("evidence", new_evidence, order=40)
        # Interventions (as this user may see them) with a study registered as the project.
        project_links.register("evidence", project_evidence, heading="Evidence Store", order=40)
