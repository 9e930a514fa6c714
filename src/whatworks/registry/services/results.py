"""Results reports: save a draft (typed in, or from a result bundle), publish it, correct it.

A project has at most one draft report at a time.  The first report is the original; a
correction is a new report that ``corrects`` the current published one (with a
justification) and answers to the same protocol version.  Published reports are never
updated — the correction is a new row — so the database triggers keep holding.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import PermissionDeniedError, full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.entry import ResultRow, rows_problems, rows_results
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ProjectStatus, ProtocolVersion, ResultsReport
from whatworks.registry.protocol import parse_content, validation_messages
from whatworks.registry.selectors import can_correct, results_publish_check
from whatworks.registry.selectors_results import results_correction_check
from whatworks.registry.services.common import (
    require_not_withdrawn,
    require_team,
)
from whatworks.registry.services.trial_findings import trial_findings_announce
from whatworks.registry.trial_findings import computed_results_problem
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


def _next_number(project: Project) -> int:
    latest = ResultsReport.objects.filter(project=project).order_by("-number").first()
    return latest.number + 1 if latest else 1


@transaction.atomic
def results_save(
    *,
    actor: User | None,
    project: Project,
    protocol_version: ProtocolVersion,
    summary: str,
    results: list[dict[str, Any]],
    data_collection_ended: date | None = None,
    computed: bool = False,
) -> ResultsReport:
    """Create or change the project's draft results report (the original, or a correction).

    Results a trial analysis computed in the platform (or a correction of them) are not
    typed over: only a new analysis (``computed=True``, from ``trial_results.py``) changes
    them (``trial_findings.computed_results_problem``)."""
    require_team(actor, project)
    require_not_withdrawn(project)
    if protocol_version.project_id != project.pk:
        raise RegistryError(_("Results must answer to a version of this project's protocol."))
    Project.objects.select_for_update().filter(pk=project.pk).first()
    report = (
        ResultsReport.objects.select_for_update()
        .filter(project=project, published_at__isnull=True)
        .first()
    )
    if report is None and ResultsReport.objects.filter(project=project).exists():
        raise RegistryError(
            _(
                "Published results cannot be changed. Issue a correction "
                "instead: it makes a new report that supersedes the "
                "published one."
            )
        )
    if (
        report is not None
        and report.corrects_id is not None
        and report.protocol_version_id != protocol_version.pk
    ):
        raise RegistryError(
            _(
                "A correction answers to the same protocol version as the "
                "results it corrects (v%(number)s)."
            )
            % {"number": report.protocol_version.number}
        )
    if report is not None and not computed and (problem := computed_results_problem(report)):
        raise RegistryError(problem)
    created = report is None
    report = report or ResultsReport(project=project, number=_next_number(project))
    report.protocol_version = protocol_version
    report.summary = summary.strip()
    report.results = _check_results(results)
    report.data_collection_ended = data_collection_ended
    report.updated_at = timezone.now()
    full_clean_or_raise(report, RegistryError)
    report.save()
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_RESULTS_CREATED
        if created
        else AuditAction.REGISTRY_RESULTS_UPDATED,
        target=report,
        changes={"protocol_version": protocol_version.number, "outcomes": len(report.results)},
    )
    return report


@transaction.atomic
def results_enter(
    *,
    actor: User | None,
    project: Project,
    protocol_version: ProtocolVersion,
    summary: str,
    rows: list[ResultRow],
    data_collection_ended: date | None = None,
) -> ResultsReport:
    """Fill the draft results report from rows typed in, one per outcome (no JSON file).

    Every problem of every row is listed at once and nothing is saved unless all rows are
    right.  The rows become the same result items as a bundle's, saved by
    :func:`results_save`, so the verdicts are computed by the same code.
    """
    require_team(actor, project)
    if protocol_version.project_id != project.pk:
        raise RegistryError(_("Results must answer to a version of this project's protocol."))
    registered = list(parse_content(protocol_version.content).outcome_names())
    problems = rows_problems(rows, registered)
    if problems:
        raise RegistryError(problems)
    report = results_save(
        actor=actor,
        project=project,
        protocol_version=protocol_version,
        summary=summary,
        results=rows_results(rows),
        data_collection_ended=data_collection_ended,
    )
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_RESULTS_ENTERED,
        target=report,
        changes={
            "not_reported": [r.outcome for r in rows if r.pre_registered and r.not_reported],
            "not_pre_registered": [
                r.outcome for r in rows if not r.pre_registered and not r.is_blank
            ],
        },
    )
    return report


@transaction.atomic
def results_correct(
    *, actor: User | None, report: ResultsReport, justification: str
) -> ResultsReport:
    """Start a correction of published results: a new draft report that will supersede them.

    The draft starts as a copy of the published report and answers to the same protocol
    version; the team changes it (typed in or imported) and an editor publishes it.  The
    published report is not touched.
    """
    report = (
        ResultsReport.objects.select_for_update()
        .select_related("project", "protocol_version")
        .get(pk=report.pk)
    )
    project = report.project
    Project.objects.select_for_update().filter(pk=project.pk).first()
    # Whether these results may be corrected now: the results page asks the same check.
    check = results_correction_check(user=actor, report=report)
    if not check.permitted:
        raise PermissionDeniedError(_("Only the project's team or an editor can correct results."))
    require_not_withdrawn(project)
    justification = justification.strip()
    problems = []
    if not justification:
        problems.append(
            _("Say why the results need correcting; it is shown beside the correction.")
        )
    problems.extend(check.problems)
    if problems:
        raise RegistryError(problems)
    correction = ResultsReport(
        project=project,
        number=_next_number(project),
        protocol_version=report.protocol_version,
        corrects=report,
        justification=justification,
        summary=report.summary,
        results=report.results,
        data_collection_ended=report.data_collection_ended,
        flow=report.flow,
        baseline=report.baseline,
        harms=report.harms,
        plain_summary=report.plain_summary,
    )
    full_clean_or_raise(correction, RegistryError)
    correction.save()
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_RESULTS_CORRECTION_STARTED,
        target=correction,
        changes={"corrects": report.number, "justification": justification},
    )
    return correction


@transaction.atomic
def results_correction_discard(*, actor: User | None, report: ResultsReport) -> None:
    """Drop a draft correction that will not be published (nothing public changes: the
    corrected results stay current).  Only drafts that correct published results may go;
    published reports are never deleted (``guards.py``)."""
    report = (
        ResultsReport.objects.select_for_update(of=("self",))
        .select_related("project", "corrects")
        .get(pk=report.pk)
    )
    if not can_correct(actor, report):
        raise PermissionDeniedError(_("Only the project's team or an editor can discard it."))
    if report.published_at is not None or report.corrects_id is None:
        raise RegistryError(_("Only a correction still in draft can be discarded."))
    number, corrects = report.number, report.corrects.number if report.corrects else None
    project = report.project
    report.delete()
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_RESULTS_CORRECTION_DISCARDED,
        target=project,
        changes={"number": number, "corrects": corrects},
    )


@transaction.atomic
def results_import_bundle(*, actor: User | None, project: Project, bundle: Any) -> ResultsReport:
    """Fill the draft results report from a result bundle (``docs/results-bundle.md``)."""
    try:
        parsed = parse_bundle(bundle)
    except BundleError as exc:
        raise RegistryError(exc.messages) from None
    if parsed.project and parsed.project != project.reference:
        raise RegistryError(
            _("This bundle is for %(project)s, not %(reference)s.")
            % {"project": parsed.project, "reference": project.reference}
        )
    version = project.versions.filter(number=parsed.protocol_version).first()
    if version is None:
        raise RegistryError(
            _("%(reference)s has no registered version %(protocol_version)s.")
            % {"reference": project.reference, "protocol_version": parsed.protocol_version}
        )
    report = results_save(
        actor=actor,
        project=project,
        protocol_version=version,
        summary=parsed.summary,
        results=[r.model_dump(mode="json") for r in parsed.results],
        data_collection_ended=parsed.data_collection_ended,
    )
    audit_record(actor=actor, action=AuditAction.REGISTRY_RESULTS_IMPORTED, target=report)
    return report


@transaction.atomic
def results_publish(*, actor: User | None, report: ResultsReport) -> ResultsReport:
    """An editor publishes the results; the verdict is computed and fixed with them."""
    report = (
        # Lock the report's row only: ``corrects`` is an outer join, which PostgreSQL
        # refuses to lock.
        ResultsReport.objects.select_for_update(of=("self",))
        .select_related("project", "protocol_version", "corrects")
        .get(pk=report.pk)
    )
    check = results_publish_check(report)
    if check.problems:
        raise RegistryError(list(check.problems))
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
        action=AuditAction.REGISTRY_RESULTS_PUBLISHED,
        target=report,
        changes={
            "number": report.number,
            "corrects": report.corrects.number if report.corrects else None,
            "verdict": assessment.overall.value,
            "unreported": list(assessment.unreported),
            "unregistered": list(assessment.unregistered),
        },
    )
    # Results computed by a trial analysis in the platform go to the Evidence Store.
    trial_findings_announce(actor=actor, report=report)
    return report
