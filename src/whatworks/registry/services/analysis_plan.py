"""The trial analysis plan in a protocol draft (issue #18).

The team sets (or clears) the plan on its own page; it is saved into the draft through
:func:`protocol_draft_save`, so the whole draft is checked again (a plan that names an
outcome the protocol lacks is refused), and registered with the rest of the draft.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.analysis_plan import PlannedOutcome, design_problems
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project
from whatworks.registry.protocol import content_sha256, validation_messages
from whatworks.registry.services.common import require_not_withdrawn, require_team
from whatworks.registry.services.protocols import protocol_draft_save

__all__ = ["protocol_draft_set_trial_analysis"]


def _plan_problems(plan: Mapping[str, Any]) -> list[str]:
    """Every problem of the plan's rows, then of how they fit its design (each said as the
    plan page shows it, without the field's path)."""
    problems: list[str] = []
    for row in plan.get("outcomes") or []:
        try:
            PlannedOutcome.model_validate(row)
        except ValidationError as exc:
            problems.extend(m.split(": ", 1)[-1] for m in validation_messages(exc))
    problems.extend(
        f"The trial analysis plan: {problem}."
        for problem in design_problems(plan.get("design", ""), plan.get("outcomes") or [])
    )
    return problems


@transaction.atomic
def protocol_draft_set_trial_analysis(
    *, actor: User | None, project: Project, plan: Mapping[str, Any] | None
) -> Project:
    """Put ``plan`` in the draft (``None`` removes it); every problem is raised at once:
    those of the plan's rows and design first, then those of the whole draft."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    require_team(actor, project)
    require_not_withdrawn(project)
    if plan is not None and (problems := _plan_problems(plan)):
        raise RegistryError(problems)
    draft = copy.deepcopy(project.draft_content or {})
    draft.pop("trial_analysis", None)
    if plan is not None:
        draft["trial_analysis"] = dict(plan)
    else:
        # protocol_draft_save keeps a plan the content leaves out; an explicit None clears it.
        draft["trial_analysis"] = None
    project = protocol_draft_save(actor=actor, project=project, content=draft)
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_PROTOCOL_TRIAL_ANALYSIS_SET
        if plan is not None
        else AuditAction.REGISTRY_PROTOCOL_TRIAL_ANALYSIS_REMOVED,
        target=project,
        changes={"draft_sha256": content_sha256(project.draft_content)},
    )
    return project
