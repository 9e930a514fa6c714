"""Protocols: save the working draft; register it as version 1, or as an amendment."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.dates import add_months
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.analysis_plan import plan_registration_problems
from whatworks.registry.criteria import criteria_problems
from whatworks.registry.design import design_registration_problems
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ProtocolAttachment, ProtocolVersion
from whatworks.registry.protocol import (
    OutcomeKind,
    ProtocolContent,
    ProtocolContentError,
    content_sha256,
    parse_content,
)
from whatworks.registry.services.common import (
    require_not_withdrawn,
    require_team,
)
from whatworks.registry.services.projects import project_assign_identifier

EMBARGO_MIN = timedelta(days=2)
EMBARGO_MAX_YEARS = 4


def embargo_bounds(today: date) -> tuple[date, date]:
    """An embargo ends between 2 days and 4 years from today."""
    return today + EMBARGO_MIN, add_months(today, 12 * EMBARGO_MAX_YEARS)


def registration_problems(content: ProtocolContent, *, study_type: str = "") -> list[str]:
    """What a draft lacks before it can be registered; every problem at once.  A
    randomised trial also states its design in fields (``design.py``)."""
    problems = []
    for field, label in (
        ("background", "the background"),
        ("design", "the design"),
        ("participants_and_sites", "the participants and sites"),
        ("intervention", "the intervention"),
        ("analysis_plan", "the analysis plan"),
    ):
        if not getattr(content, field):
            problems.append(_("Describe %(label)s.") % {"label": label})
    if not content.research_questions:
        problems.append(_("Give at least one research question."))
    if not any(o.kind == OutcomeKind.PRIMARY for o in content.outcomes):
        problems.append(_("Name at least one primary outcome."))
    if not content.success_criteria.criteria:
        problems.append(_("Set at least one success criterion."))
    problems.extend(criteria_problems(content))
    problems.extend(plan_registration_problems(content))
    problems.extend(design_registration_problems(content.study_design, study_type=study_type))
    return problems


def _unstored_attachments(project: Project, content: ProtocolContent) -> list[str]:
    """Every attachment the content lists must be a file stored for this project, exactly
    as listed (``attachments.py`` writes the list; nobody else may forge it)."""
    problems = []
    for item in content.attachments:
        stored = ProtocolAttachment.objects.filter(
            project=project,
            kind=item.kind,
            sha256=item.sha256,
            size=item.size,
            content_type=item.content_type,
        ).exists()
        if not stored:
            problems.append(
                _(
                    "The %(label)s listed is not a file uploaded to this "
                    "project: upload it on the documents page."
                )
                % {"label": item.label.lower()}
            )
    return problems


@transaction.atomic
def protocol_draft_save(
    *, actor: User | None, project: Project, content: dict[str, Any]
) -> Project:
    """Check the draft against the template (all problems at once) and keep it."""
    require_team(actor, project)
    require_not_withdrawn(project)
    for kept in ("pilot_experiments", "trial_analysis", "attachments"):
        # The draft form shows neither pilot experiments nor the trial analysis plan (each
        # has its own page) nor the attachments (only the attachment services change
        # them): keep the ones the draft holds.
        if kept not in content and (project.draft_content or {}).get(kept):
            content = {**content, kept: project.draft_content[kept]}
    try:
        parsed = parse_content(content)
    except ProtocolContentError as exc:
        raise RegistryError(exc.messages) from None
    if problems := criteria_problems(parsed) + _unstored_attachments(project, parsed):
        raise RegistryError(problems)
    project.draft_content = parsed.as_json()
    project.updated_at = timezone.now()
    project.save(update_fields=["draft_content", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_PROTOCOL_DRAFT_SAVED,
        target=project,
        changes={"draft_sha256": content_sha256(project.draft_content)},
    )
    return project


@transaction.atomic
def protocol_register(
    *,
    actor: User | None,
    project: Project,
    justification: str = "",
    embargo_until: date | None = None,
    today: date | None = None,
) -> ProtocolVersion:
    """Freeze the draft as the next version, with its timestamp and SHA-256.

    Version 1 may set an embargo (2 days to 4 years ahead); later versions are amendments
    and need a justification.
    """
    caller, project = project, Project.objects.select_for_update().get(pk=project.pk)
    require_team(actor, project)
    require_not_withdrawn(project)
    today = today or timezone.localdate()
    try:
        content = parse_content(project.draft_content)
    except ProtocolContentError as exc:
        raise RegistryError(exc.messages) from None
    problems = registration_problems(content, study_type=project.study_type)
    latest = project.versions.order_by("-number").first()
    data = content.as_json()
    justification = justification.strip()
    if latest is not None:
        if latest.content == data:
            problems.append(_("The draft is the same as the registered version: nothing to amend."))
        if not justification:
            problems.append(_("Say why the protocol is being amended."))
        if embargo_until is not None:
            problems.append(_("An embargo can only be set when the protocol is first registered."))
    elif embargo_until is not None:
        earliest, latest_allowed = embargo_bounds(today)
        if not earliest <= embargo_until <= latest_allowed:
            problems.append(
                _("An embargo must end between %(earliest)s and %(latest_allowed)s.")
                % {
                    "earliest": format(earliest, "%-d %B %Y"),
                    "latest_allowed": format(latest_allowed, "%-d %B %Y"),
                }
            )
    if problems:
        raise RegistryError(problems)
    if latest is None:
        project_assign_identifier(project=project, today=today)
    version = ProtocolVersion(
        project=project,
        number=latest.number + 1 if latest else 1,
        content=data,
        sha256=content_sha256(data),
        registered_at=timezone.now(),
        justification=justification,
    )
    full_clean_or_raise(version, RegistryError)
    version.save()
    project.title = content.title
    fields = ["title", "updated_at"]
    if embargo_until is not None:
        project.embargo_until = embargo_until
        fields.append("embargo_until")
    project.updated_at = timezone.now()
    project.save(update_fields=fields)
    # The caller's copy learns the identifier too.
    caller.reference, caller.year, caller.serial = project.reference, project.year, project.serial
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_PROTOCOL_REGISTERED
        if version.number == 1
        else AuditAction.REGISTRY_PROTOCOL_AMENDED,
        target=version,
        changes={
            "version": version.number,
            "sha256": version.sha256,
            "embargo_until": str(embargo_until or ""),
        },
    )
    return version
