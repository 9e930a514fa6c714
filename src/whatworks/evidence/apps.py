from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "whatworks.evidence"
    label = "evidence"

    def ready(self) -> None:
        from whatworks.core.extensions import evidence_targets, newsletter_sections, project_links
        from whatworks.core.signals import trial_findings_published
        from whatworks.evidence.links import project_evidence
        from whatworks.evidence.newsletter import new_evidence
        from whatworks.evidence.registry_findings import (
            evidence_targets as targets,
        )
        from whatworks.evidence.registry_findings import (
            trial_findings_received,
        )

        newsletter_sections.register("evidence", new_evidence, order=40)
        # Interventions (as this user may see them) with a study registered as the project.
        project_links.register("evidence", project_evidence, heading="Evidence Store", order=40)
        # A trial analysed in the research registry files its published findings here, and
        # the registry's link page offers our interventions and outcome domains.
        trial_findings_published.connect(
            trial_findings_received, dispatch_uid="evidence.trial_findings_received"
        )
        evidence_targets.register("evidence", targets)
