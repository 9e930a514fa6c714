"""Results reports: save a draft (from the form or a result bundle), then publish it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from whatworks.core.models import User
from whatworks.core.services import audit_record
from whatworks.registry.models import Project, ProjectStatus, ProtocolVersion, ResultsReport
from whatworks.registry.protocol import parse_content, validation_messages
from whatworks.registry.services.common import (
    RegistryError,
    clean,
    require_not_withdrawn,
    require_team,
)
from whatworks.registry.verdicts import (
    BundleError,
    OutcomeResult,
    assess,
    parse_bundle,
    parse_results,
)


def _check_results(data: Any) -> list[dict[str, Any]]:
    problems: list[str] = []
    results: list[dict[str, Any]] = []
    for index, item in enumerate(data or []):
        try:
            results.append(OutcomeResult.model_validate(item).model_dump(mode="json"))
        except ValidationError as exc:
            problems.extend(f"Result {index + 1}: {m}" for m in validation_messages(exc))
    if problems:
        raise RegistryError(problems)
    return results


@transaction.atomic
def results_save(
    *,
    actor: User | None,
    project: Project,
    protocol_version: ProtocolVersion,
    summary: str,
    results: list[dict[str, Any]],
    data_collection_ended: date | None = None,
) -> ResultsReport:
    """Create or change the project's draft results report."""
    require_team(actor, project)
    require_not_withdrawn(project)
    if protocol_version.project_id != project.pk:
        raise RegistryError("Results must answer to a version of this project's protocol.")
    report = ResultsReport.objects.select_for_update().filter(project=project).first()
    if report is not None and report.published_at is not None:
        raise RegistryError("Published results cannot be changed.")
    created = report is None
    report = report or ResultsReport(project=project)
    report.protocol_version = protocol_version
    report.summary = summary.strip()
    report.results = _check_results(results)
    report.data_collection_ended = data_collection_ended
    report.updated_at = timezone.now()
    clean(report)
    report.save()
    audit_record(
        actor=actor,
        action="registry.results_created" if created else "registry.results_updated",
        target=report,
        changes={"protocol_version": protocol_version.number, "outcomes": len(report.results)},
    )
    return report


@transaction.atomic
def results_import_bundle(*, actor: User | None, project: Project, bundle: Any) -> ResultsReport:
    """Fill the draft results report from a result bundle (``docs/results-bundle.md``)."""
    try:
        parsed = parse_bundle(bundle)
    except BundleError as exc:
        raise RegistryError(exc.messages) from None
    if parsed.project and parsed.project != project.reference:
        raise RegistryError(f"This bundle is for {parsed.project}, not {project.reference}.")
    version = project.versions.filter(number=parsed.protocol_version).first()
    if version is None:
        raise RegistryError(
            f"{project.reference} has no registered version {parsed.protocol_version}."
        )
    report = results_save(
        actor=actor,
        project=project,
        protocol_version=version,
        summary=parsed.summary,
        results=[r.model_dump(mode="json") for r in parsed.results],
        data_collection_ended=parsed.data_collection_ended,
    )
    audit_record(actor=actor, action="registry.results_imported", target=report)
    return report


@transaction.atomic
def results_publish(*, actor: User | None, report: ResultsReport) -> ResultsReport:
    """An editor publishes the results; the verdict is computed and fixed with them."""
    report = (
        ResultsReport.objects.select_for_update()
        .select_related("project", "protocol_version")
        .get(pk=report.pk)
    )
    if report.published_at is not None:
        raise RegistryError("These results are already published.")
    if report.project.published_at is None:
        raise RegistryError("Publish the project before its results.")
    if not report.results:
        raise RegistryError("Add at least one result before publishing.")
    content = parse_content(report.protocol_version.content)
    assessment = assess(content, parse_results(report.results))
    report.overall_verdict = assessment.overall.value
    report.published_at = timezone.now()
    report.save(update_fields=["overall_verdict", "published_at"])
    project = report.project
    if not project.is_withdrawn:
        project.status = ProjectStatus.REPORTED
        project.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="registry.results_published",
        target=report,
        changes={
            "verdict": assessment.overall.value,
            "unreported": list(assessment.unreported),
            "unregistered": list(assessment.unregistered),
        },
    )
    return report
