"""The draft results report's participant flow, baseline table, harms and plain-language
summary, set (their rules are in ``flow.py``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.errors import RegistryError
from whatworks.registry.flow import (
    BaselineRow,
    flow_problems,
    parse_baseline,
    parse_flow,
    report_arms,
)
from whatworks.registry.models import Project, ResultsReport
from whatworks.registry.services.common import require_not_withdrawn, require_team


@transaction.atomic
def results_set_flow(
    *,
    actor: User | None,
    project: Project,
    flow: list[dict[str, Any]],
    baseline: list[dict[str, Any]],
    harms: str,
    plain_summary: str,
) -> ResultsReport:
    """Set the draft results report's participant flow, baseline table, harms and plain-
    language summary.  Published reports never change: correct them instead."""
    require_team(actor, project)
    require_not_withdrawn(project)
    report = (
        ResultsReport.objects.select_for_update()
        .select_related("protocol_version")
        .filter(project=project, published_at__isnull=True)
        .first()
    )
    if report is None:
        raise RegistryError(
            gettext(
                "There are no draft results. Enter or import the results "
                "first; published results change only through a correction."
            )
        )
    arms = report_arms(report)
    parsed_baseline: list[BaselineRow] = []
    parsed_flow, problems = parse_flow(flow, arms)
    try:
        parsed_baseline = parse_baseline(baseline, arms)
    except RegistryError as exc:
        problems.extend(exc.messages)
    problems.extend(p for p in flow_problems(parsed_flow, report.results) if p not in problems)
    harms, plain_summary = harms.strip(), plain_summary.strip()
    if len(harms) > 5000:
        problems.append(gettext("Harms and unintended effects can be at most 5,000 characters."))
    if len(plain_summary) > 3000:
        problems.append(gettext("The plain-language summary can be at most 3,000 characters."))
    if problems:
        raise RegistryError(problems)
    report.flow = [r.model_dump(mode="json") for r in parsed_flow]
    report.baseline = [r.model_dump(mode="json") for r in parsed_baseline]
    report.harms = harms
    report.plain_summary = plain_summary
    report.updated_at = timezone.now()
    report.save(update_fields=["flow", "baseline", "harms", "plain_summary", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_RESULTS_FLOW_SET,
        target=report,
        changes={
            "arms": [r.arm for r in parsed_flow],
            "baseline_rows": len(parsed_baseline),
            "harms": bool(harms),
            "plain_summary": bool(plain_summary),
        },
    )
    return report
