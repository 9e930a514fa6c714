"""Pilots and their config: start a pilot of a registry project, fix its experiment config
in a registered protocol version, record who looked at its data.

Callers (views, tasks, commands) have already checked that the actor may see the pilot
through :func:`whatworks.pilots.selectors.pilot_get_for_user`.  Every write is
keyword-only, atomic and audited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import Organisation, User
from whatworks.core.services.audit import audit_record
from whatworks.pilots import analytics
from whatworks.pilots.errors import PilotError
from whatworks.pilots.models import Pilot


@transaction.atomic
def pilot_create(
    *,
    actor: User | None,
    project: Any,
    organisation: Organisation,
    name: str,
    protocol_version: Any = None,
    config_yaml: str | None = None,
) -> Pilot:
    """A pilot of a registry project in one local authority.

    Given a registered protocol version and the experiment config, the config is fixed in
    the same transaction (the "new pilot" page does so).  Every problem is reported at
    once.  A signed-in actor must be on the project's team, or an administrator; the
    demo and tests create pilots as the system (``actor=None``).
    """
    from whatworks.pilots.selectors import can_create_pilot_of

    problems: list[str] = []
    if actor is not None and not can_create_pilot_of(actor, project):
        raise PilotError(gettext("Choose one of your research projects."))
    if organisation.kind != Organisation.Kind.LOCAL_AUTHORITY:
        problems.append(gettext("A pilot belongs to a local authority."))
    if not name.strip():
        problems.append(gettext("Enter the pilot's title."))
    fixing = protocol_version is not None or config_yaml is not None
    if fixing:
        problems.extend(_config_problems(project, protocol_version, config_yaml or ""))
    if problems:
        raise PilotError(problems)
    pilot = Pilot(project=project, organisation=organisation, name=name.strip())
    full_clean_or_raise(pilot, PilotError)
    pilot.save()
    audit_record(
        actor=actor,
        action=AuditAction.PILOT_CREATED,
        target=pilot,
        changes={"project": project.reference, "organisation": organisation.slug},
    )
    if fixing:
        pilot = pilot_fix_config(
            actor=actor,
            pilot=pilot,
            config_yaml=config_yaml or "",
            protocol_version=protocol_version,
        )
    return pilot


def _config_problems(project: Any, protocol_version: Any, config_yaml: str) -> list[str]:
    problems = []
    right_version = protocol_version is not None and protocol_version.project_id == project.pk
    if not right_version:
        problems.append(
            gettext("Choose a registered protocol version of %(reference)s.")
            % {"reference": project.reference}
        )
    if not config_yaml.strip():
        problems.append(gettext("Enter the experiment config."))
    else:
        try:
            _, config_hash = analytics.config_parse(config_yaml)
        except analytics.EngineProblems as exc:
            problems.extend(exc.problems)
        else:
            if right_version:
                problems.extend(_version_problems(project, protocol_version, config_hash))
    return problems


def _version_problems(project: Any, protocol_version: Any, config_hash: str) -> list[str]:
    """A config can only be fixed in a version whose content registers it (issue #13)."""
    if analytics.version_experiment(protocol_version, config_hash) is not None:
        return []
    versions = analytics.protocol_versions(project)
    holding = [f"v{v.number}" for v in versions if analytics.version_experiment(v, config_hash)]
    message = (
        f"v{protocol_version.number} of {project.reference} does not contain this experiment "
        f"config (SHA-256 {config_hash[:12]}…), so it cannot fix it."
    )
    if holding:
        return [f"{message} Choose {' or '.join(holding)}, which contains it."]
    registered = ", ".join(f"v{v.number}" for v in versions)
    return [
        f"{message} No registered version does (registered: {registered}). Add the config to "
        f"the protocol draft of {project.reference} (“Add this config to the protocol draft”), "
        "register the amended protocol in the registry, then fix the config in the new version."
    ]


@transaction.atomic
def pilot_experiment_register(*, actor: User | None, project: Any, config_yaml: str) -> Any:
    """Put an experiment config, with its criteria, in the project's protocol draft.

    The registry's service checks that the actor is on the project's team and writes the
    audit entry; the team then registers the draft as a new version, in which the config
    can be fixed.
    """
    try:
        config, _ = analytics.config_parse(config_yaml)
        return analytics.registry_add_experiment(actor=actor, project=project, config=config)
    except analytics.EngineProblems as exc:
        raise PilotError(exc.problems, field="config_yaml") from None


@transaction.atomic
def pilot_fix_config(
    *, actor: User | None, pilot: Pilot, config_yaml: str, protocol_version: Any
) -> Pilot:
    """Fix the experiment config in a registered protocol version of the pilot's project.

    The version must contain the config (its hash and criteria, in its pilot experiments):
    the criteria the pilot is judged on are the registered ones.  The engine's canonical
    hash of the config is kept; every run and uploaded bundle is checked against it.  A
    fixed config never changes (a new config is a new pilot).
    """
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if pilot.config_fixed:
        raise PilotError(
            gettext("This pilot's config is already fixed; it cannot change."), field="config_yaml"
        )
    if protocol_version is None or protocol_version.project_id != pilot.project_id:
        raise PilotError(
            gettext("Choose a registered protocol version of this pilot's project."),
            field="config_yaml",
        )
    try:
        _, config_hash = analytics.config_parse(config_yaml)
    except analytics.EngineProblems as exc:
        raise PilotError(exc.problems, field="config_yaml") from None
    problems = _version_problems(pilot.project, protocol_version, config_hash)
    if problems:
        raise PilotError(problems, field="config_yaml")
    pilot.config_yaml = config_yaml
    pilot.config_hash = config_hash
    pilot.protocol_version = protocol_version
    pilot.config_fixed_at = timezone.now()
    full_clean_or_raise(pilot, PilotError)
    pilot.save()
    audit_record(
        actor=actor,
        action=AuditAction.PILOT_CONFIG_FIXED,
        target=pilot,
        changes={"config_hash": config_hash, "protocol_version": protocol_version.number},
    )
    return pilot


@transaction.atomic
def pilot_access_record(*, actor: User | None, target: Any, action: AuditAction) -> None:
    """Record a view or download of pilot data or reports in the audit log."""
    audit_record(actor=actor, action=action, target=target)
