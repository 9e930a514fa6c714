"""Pilot experiments in a protocol draft (issue #13: one set of criteria).

A predictive-analytics pilot's experiment config is registered with the protocol: the
team adds it to the project's draft (from the pilot's page, through the pilots' adapter),
then registers the draft as a new version in the usual way.  Adding it writes the
experiment (config, hash, criteria) and the outcomes and success criteria derived from it
into the draft, replacing an earlier experiment of the same key and what it derived.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ProtocolVersion
from whatworks.registry.protocol import (
    PILOT_ETHICS_STATISTIC,
    PILOT_FAIRNESS_STATISTIC,
    Combine,
    PilotExperiment,
    content_sha256,
    parse_content,
    pilot_experiment,
)
from whatworks.registry.services.common import require_not_withdrawn, require_team
from whatworks.registry.services.protocols import protocol_draft_save

__all__ = [
    "PILOT_ETHICS_STATISTIC",
    "PILOT_FAIRNESS_STATISTIC",
    "protocol_draft_add_pilot_experiment",
    "version_pilot_experiment",
]


def version_pilot_experiment(version: ProtocolVersion, config_hash: str) -> PilotExperiment | None:
    """The pilot experiment of a registered version whose config has this hash, if any."""
    return parse_content(version.content).pilot_experiment(config_hash)


@transaction.atomic
def protocol_draft_add_pilot_experiment(
    *, actor: User | None, project: Project, config: Mapping[str, Any]
) -> Project:
    """Put a pilot's experiment config, and the outcomes and criteria it fixes, in the draft."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    require_team(actor, project)
    require_not_withdrawn(project)
    try:
        experiment = pilot_experiment(dict(config))
    except ValueError as exc:
        raise RegistryError([f"The experiment config cannot be registered: {exc}"]) from None
    draft = copy.deepcopy(project.draft_content or {})
    keys = set(experiment.outcome_keys)
    criteria = draft.get("success_criteria") or {}
    others = [c for c in criteria.get("criteria") or [] if c.get("outcome") not in keys]
    if others and criteria.get("combine", Combine.ALL.value) != Combine.ALL.value:
        raise RegistryError(
            _(
                "This protocol's success criteria combine with “any”; a "
                "pilot's criteria must all hold with the others. Change the "
                "protocol to “all” first."
            )
        )
    draft["outcomes"] = [
        *(o for o in draft.get("outcomes") or [] if o.get("key") not in keys),
        *(o.model_dump(mode="json") for o in experiment.outcomes()),
    ]
    draft["success_criteria"] = {
        "combine": Combine.ALL.value,
        "criteria": [*others, *(c.model_dump(mode="json") for c in experiment.criteria())],
    }
    draft["pilot_experiments"] = [
        *(e for e in draft.get("pilot_experiments") or [] if e.get("key") != experiment.key),
        experiment.model_dump(mode="json"),
    ]
    project = protocol_draft_save(actor=actor, project=project, content=draft)
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_PROTOCOL_PILOT_EXPERIMENT_ADDED,
        target=project,
        changes={
            "experiment": experiment.key,
            "config_hash": experiment.config_hash,
            "draft_sha256": content_sha256(project.draft_content),
        },
    )
    return project
