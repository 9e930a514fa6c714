"""A just-published trial's findings, sent to the Evidence Store (issue #18).

What is sent, and when a report's findings qualify, is ``registry/trial_findings.py``; this
module sends ``core.signals.trial_findings_published`` from the publication's transaction,
where the Evidence Store's receiver writes (and audits) in its own savepoint.
"""

from __future__ import annotations

import logging

from whatworks.core.models import User
from whatworks.core.signals import trial_findings_published
from whatworks.registry.models import ResultsReport, TrialEvidenceLink
from whatworks.registry.trial_findings import (
    analysis_of_report,
    evidence_findings,
    study_of_report,
)

logger = logging.getLogger(__name__)


def trial_findings_announce(*, actor: User | None, report: ResultsReport) -> int:
    """Send the findings of a just-published report (see ``registry/trial_findings.py``);
    how many were sent.

    Called by :func:`~whatworks.registry.services.results.results_publish` inside its
    transaction; receivers write in their own savepoints and cannot refuse it."""
    link = TrialEvidenceLink.objects.filter(project=report.project).first()
    analysis = analysis_of_report(report) if link is not None else None
    if link is None or analysis is None:
        return 0
    content = report.protocol_version.content
    findings = evidence_findings(analysis.bundle or {}, content, link.outcomes)
    if not findings:
        return 0
    answers = trial_findings_published.send_robust(
        sender=ResultsReport,
        study=study_of_report(report, analysis),
        intervention=link.intervention,
        findings=findings,
        actor=actor,
    )
    for receiver, answer in answers:
        if isinstance(answer, Exception):
            logger.error(
                "Trial findings of %s not filed by %r: %s",
                report.project.reference,
                receiver,
                type(answer).__name__,
            )
    return len(findings)
