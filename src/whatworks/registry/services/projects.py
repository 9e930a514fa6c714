"""Projects: create, edit, publish, withdraw; release embargoes that have passed; partner
sites and the team."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.dates import add_months
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import Organisation, User
from whatworks.core.roles import Role
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.core.services.users import user_roles
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import DRAFT_PREFIX, Project, ProjectStatus
from whatworks.registry.protocol import content_sha256, empty_content
from whatworks.registry.selectors import can_remove_from_team, project_publish_check
from whatworks.registry.services.common import (
    require_not_withdrawn,
    require_team,
)

PROJECT_FIELDS = [
    "title",
    "summary",
    "status",
    "study_type",
    "topic",
    "links",
    "data_collection_ends",
    "results_due",
]
RESULTS_DUE_MONTHS = 12


#: How far from today a project's dates may be: further is a typing mistake (a wrong year).
DATES_PAST_YEARS = 10
DATES_FUTURE_YEARS = 20


def date_problems(
    *, data_collection_ends: date | None, results_due: date | None, today: date | None = None
) -> list[str]:
    """Dates that cannot be: results due before data collection ends, or dates decades
    away from today; every problem at once."""
    today = today or timezone.localdate()
    earliest = add_months(today, -12 * DATES_PAST_YEARS)
    latest = add_months(today, 12 * DATES_FUTURE_YEARS)
    problems = []
    for label, value in (
        ("Data collection ends", data_collection_ends),
        ("Results due", results_due),
    ):
        if value is not None and not earliest <= value <= latest:
            problems.append(
                _(
                    "%(label)s: %(value)s is not a date this project can have. "
                    "Give a date between %(earliest)s and %(latest)s (check the "
                    "year)."
                )
                % {
                    "label": label,
                    "value": format(value, "%-d %B %Y"),
                    "earliest": format(earliest, "%-d %B %Y"),
                    "latest": format(latest, "%-d %B %Y"),
                }
            )
    if data_collection_ends and results_due and results_due < data_collection_ends:
        problems.append(
            _(
                "Results due: %(results_due)s is before data collection ends "
                "(%(data_collection_ends)s). Results can only be due after "
                "that, usually 12 months after."
            )
            % {
                "results_due": format(results_due, "%-d %B %Y"),
                "data_collection_ends": format(data_collection_ends, "%-d %B %Y"),
            }
        )
    return problems


def has_published_results(project: Project) -> bool:
    return project.results_reports.filter(published_at__isnull=False).exists()


def status_problems(project: Project, status: str) -> list[str]:
    """Whether ``status`` follows from the facts: "results reported" is the status of a
    project with published results, and only of one."""
    published = has_published_results(project)
    if status == ProjectStatus.REPORTED and not published:
        return [
            "A project is “Results reported” once an editor publishes its results: until "
            "then choose setting up, collecting data or analysing."
        ]
    if published and status != ProjectStatus.REPORTED:
        return ["This project's results are published, so its status stays “Results reported”."]
    return []


def default_results_due(data_collection_ends: date | None) -> date | None:
    """Results are due 12 months after data collection ends."""
    if data_collection_ends is None:
        return None
    return add_months(data_collection_ends, RESULTS_DUE_MONTHS)


def _clean_links(links: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    cleaned = []
    for link in links:
        label, url = str(link.get("label", "")).strip(), str(link.get("url", "")).strip()
        if not label and not url:
            continue
        parts = urlsplit(url)
        local = url.startswith("/") and not url.startswith("//")
        web = parts.scheme in ("http", "https") and bool(parts.netloc)
        if not label or not (web or local):
            raise RegistryError(
                _("Each link needs a label and an address starting with https://, http:// or /.")
            )
        cleaned.append({"label": label[:200], "url": url[:500]})
    return cleaned


def _next_serial(year: int) -> int:
    current = Project.objects.select_for_update().filter(year=year).aggregate(Max("serial"))
    return (current["serial__max"] or 0) + 1


def draft_reference() -> str:
    return f"{DRAFT_PREFIX}{secrets.token_hex(6)}"


def project_assign_identifier(*, project: Project, today: date | None = None) -> str:
    """Give a draft its WWC-YYYY-NNNN (for the protocol service, at first registration,
    inside its transaction and audit entry); an identifier once given never changes."""
    if project.has_identifier:
        return project.reference
    year = (today or timezone.localdate()).year
    serial = _next_serial(year)
    project.year, project.serial = year, serial
    project.reference = f"WWC-{year}-{serial:04d}"
    project.save(update_fields=["year", "serial", "reference"])
    return project.reference


@transaction.atomic
def project_create(
    *,
    actor: User | None,
    title: str,
    summary: str,
    study_type: str,
    topic: str,
    partner_sites: Sequence[Organisation] = (),
    team: Sequence[User] = (),
    links: Iterable[dict[str, Any]] = (),
    data_collection_ends: date | None = None,
    results_due: date | None = None,
) -> Project:
    """A new project with an empty protocol draft; its creator joins the team.

    It gets its identifier when its protocol is first registered; until then a draft
    handle (see :class:`~whatworks.registry.models.Project`)."""
    results_due = results_due or default_results_due(data_collection_ends)
    if problems := date_problems(
        data_collection_ends=data_collection_ends, results_due=results_due
    ):
        raise RegistryError(problems)
    project = Project(
        reference=draft_reference(),
        title=title.strip(),
        summary=summary.strip(),
        study_type=study_type,
        topic=topic,
        links=_clean_links(links),
        data_collection_ends=data_collection_ends,
        results_due=results_due,
        draft_content=empty_content(title=title.strip() or "Untitled"),
    )
    full_clean_or_raise(project, RegistryError)
    project.save()
    project.partner_sites.set(partner_sites)
    members = {u.pk: u for u in team}
    if actor is not None and actor.pk:
        members.setdefault(actor.pk, actor)
    project.team.set(members.values())
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_PROJECT_CREATED,
        target=project,
        changes=diff_fields(None, project, PROJECT_FIELDS)
        | {"team": [f"user #{pk}" for pk in sorted(members)]},
    )
    return project


@transaction.atomic
def project_update(
    *,
    actor: User | None,
    project: Project,
    title: str,
    summary: str,
    status: str,
    study_type: str,
    topic: str,
    partner_sites: Sequence[Organisation],
    team: Sequence[User],
    links: Iterable[dict[str, Any]] = (),
    data_collection_ends: date | None = None,
    results_due: date | None = None,
) -> Project:
    require_team(actor, project)
    require_not_withdrawn(project)
    team = team_keeping_editor(actor=actor, team=team)
    problems = []
    if status == ProjectStatus.WITHDRAWN:
        problems.append(_("Withdraw a project with its own button, giving a reason."))
    else:
        problems.extend(status_problems(project, status))
    if not team:
        problems.append(_("A project needs at least one person in its team."))
    results_due = results_due or default_results_due(data_collection_ends)
    problems.extend(
        date_problems(data_collection_ends=data_collection_ends, results_due=results_due)
    )
    if problems:
        raise RegistryError(problems)
    before = Project.objects.get(pk=project.pk)
    team_before = set(project.team.values_list("pk", flat=True))
    project.title = title.strip()
    project.summary = summary.strip()
    project.status = status
    project.study_type = study_type
    project.topic = topic
    project.links = _clean_links(links)
    project.data_collection_ends = data_collection_ends
    project.results_due = results_due
    project.updated_at = timezone.now()
    full_clean_or_raise(project, RegistryError)
    project.save()
    project.partner_sites.set(partner_sites)
    project.team.set(team)
    changes = diff_fields(before, project, PROJECT_FIELDS)
    team_after = {u.pk for u in team}
    if team_after != team_before:
        changes["team"] = {
            "added": [f"user #{pk}" for pk in sorted(team_after - team_before)],
            "removed": [f"user #{pk}" for pk in sorted(team_before - team_after)],
        }
    audit_record(
        actor=actor, action=AuditAction.REGISTRY_PROJECT_UPDATED, target=project, changes=changes
    )
    return project


def team_keeping_editor(*, actor: User | None, team: Sequence[User]) -> list[User]:
    """The team a project edit asks for, with the person editing kept on it.

    A researcher who edits the project's details stays on its team even when the form left
    them out (they would otherwise lock themselves out of their own project); an
    administrator, who may edit every project, is not added.  Taking oneself off the team
    is done on the team page, which refuses to remove the last member.
    """
    kept = list(team)
    if actor is not None and not actor.is_superuser and actor not in kept:
        kept.append(actor)
    return kept


@transaction.atomic
def project_publish(*, actor: User | None, project: Project) -> Project:
    """An editor puts a registered project on the public register (after any embargo)."""
    require_not_withdrawn(project)
    check = project_publish_check(project)
    if check.problems:
        raise RegistryError(list(check.problems))
    project.published_at = timezone.now()
    project.save(update_fields=["published_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_PROJECT_PUBLISHED,
        target=project,
        changes={"embargo_until": str(project.embargo_until or "")},
    )
    return project


@transaction.atomic
def project_withdraw(
    *, actor: User | None, project: Project, reason: str, keep_results: bool = False
) -> Project:
    """Withdraw a project: it stays on the register as a tombstone with the reason.

    Published results are never taken down: they stay public on the tombstone, marked as
    the results of a withdrawn project.  Withdrawing a project that has them needs
    ``keep_results=True``, the editor's acknowledgement that this is what happens.
    """
    require_not_withdrawn(project)
    reason = reason.strip()
    problems = []
    if not reason:
        problems.append(_("Give the reason for withdrawing the project."))
    results = has_published_results(project)
    if results and not keep_results:
        problems.append(
            _(
                "This project has published results. They stay public on the "
                "tombstone, beside your reason: confirm that you understand "
                "this to withdraw it."
            )
        )
    if problems:
        raise RegistryError(problems)
    before_status = project.status
    project.withdrawn_at = timezone.now()
    project.withdrawal_reason = reason
    project.status = ProjectStatus.WITHDRAWN
    full_clean_or_raise(project, RegistryError)
    project.save(update_fields=["withdrawn_at", "withdrawal_reason", "status"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_PROJECT_WITHDRAWN,
        target=project,
        changes={
            "status": {"before": before_status, "after": project.status},
            "published_results_kept": results,
        },
    )
    return project


def deletion_problems(project: Project) -> list[str]:
    """Why the project cannot be deleted: only a draft never registered can be."""
    if project.versions.exists() or project.has_identifier:
        return [
            "A project whose protocol was registered cannot be deleted: the register keeps "
            "it for good. Ask an editor to withdraw it instead."
        ]
    return []


@transaction.atomic
def project_delete(*, actor: User | None, project: Project) -> None:
    """Delete a draft that was never registered (its team only); nothing public goes."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    require_team(actor, project)
    if problems := deletion_problems(project):
        raise RegistryError(problems)
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_DRAFT_DELETED,
        target=project,
        changes={"title": project.title, "draft_sha256": content_sha256(project.draft_content)},
    )
    try:
        project.delete()
    except ProtectedError as exc:
        kinds = sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
        raise RegistryError(
            _(
                "Other parts of the platform refer to this draft (%(join)s): "
                "remove those links first."
            )
            % {"join": ", ".join(kinds)}
        ) from None


@transaction.atomic
def embargoes_release(*, actor: User | None = None, today: date | None = None) -> list[Project]:
    """Record the release of every published project whose embargo date has come.

    Pages already treat a passed embargo date as public, so this only stamps the release
    and writes its audit entry; running it late or twice changes nothing else.
    """
    today = today or timezone.localdate()
    due = list(
        Project.objects.select_for_update().filter(
            published_at__isnull=False,
            embargo_until__isnull=False,
            embargo_until__lte=today,
            embargo_released_at__isnull=True,
        )
    )
    now = timezone.now()
    for project in due:
        project.embargo_released_at = now
        project.save(update_fields=["embargo_released_at"])
        audit_record(
            actor=actor,
            action=AuditAction.REGISTRY_EMBARGO_RELEASED,
            target=project,
            changes={"embargo_until": str(project.embargo_until)},
        )
    return due


@transaction.atomic
def project_add_partner_site(
    *, actor: User | None, project: Project, organisation: Organisation
) -> Project:
    """Make ``organisation`` a partner site of ``project`` (idempotent, audited)."""
    if project.partner_sites.filter(pk=organisation.pk).exists():
        return project
    project.partner_sites.add(organisation)
    audit_record(
        actor=actor,
        action=AuditAction.PROJECT_PARTNER_SITE_ADDED,
        target=project,
        changes={"partner_sites": {"added": str(organisation.pk)}},
    )
    return project


@transaction.atomic
def project_add_partner_site_by_reference(
    *, actor: User | None, project_ref: str, organisation: Organisation
) -> Project | None:
    """Make ``organisation`` a partner site of the project with identifier ``project_ref``
    (an organisation accepted through a call; ``receivers.py``).  No identifier: nothing
    to do (None).  An identifier the registry does not have is refused with a message the
    editor can act on."""
    if not project_ref:
        return None
    project = Project.objects.filter(reference=project_ref.strip()).first()
    if project is None:
        raise RegistryError(
            _(
                "The call names research project %(project_ref)s, which is "
                "not in the registry: correct the call's project identifier, "
                "then accept again."
            )
            % {"project_ref": project_ref}
        )
    return project_add_partner_site(actor=actor, project=project, organisation=organisation)


def _lock_team(project: Project) -> None:
    Project.objects.select_for_update().filter(pk=project.pk).first()


@transaction.atomic
def project_team_add(*, actor: User | None, project: Project, email: str) -> User:
    """Add the researcher with this e-mail address to the project's team (audited).

    Only people with the researcher role can join: they may then edit the project and, in
    the pilots part, see the project's pilots.  An unknown address and a person without
    the role get the same answer, so the page does not reveal who has an account.
    """
    require_team(actor, project)
    require_not_withdrawn(project)
    _lock_team(project)
    email = email.strip()
    if not email:
        raise RegistryError(_("Enter the e-mail address of the researcher to add."))
    person = User.objects.filter(email__iexact=email, is_active=True).first()
    if person is None or Role.RESEARCHER not in user_roles(person):
        raise RegistryError(
            _(
                "There is no researcher with the e-mail address %(email)s. "
                "Only people with the researcher role can join a project's "
                "team: check the address, or ask an administrator to give "
                "them the role first."
            )
            % {"email": email}
        )
    if project.team.filter(pk=person.pk).exists():
        raise RegistryError(_("%(person)s is already on the team.") % {"person": person})
    project.team.add(person)
    project.updated_at = timezone.now()
    project.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_TEAM_MEMBER_ADDED,
        target=project,
        changes={"team": {"added": f"user #{person.pk}"}},
    )
    return person


@transaction.atomic
def project_team_remove(*, actor: User | None, project: Project, member: User) -> None:
    """Take someone off the project's team (audited); the last member cannot leave."""
    require_team(actor, project)
    require_not_withdrawn(project)
    _lock_team(project)
    if not project.team.filter(pk=member.pk).exists():
        raise RegistryError(_("That person is not on the team."))
    if not can_remove_from_team(project):
        raise RegistryError(
            _(
                "A project needs at least one person in its team: add "
                "someone else before removing the last member."
            )
        )
    project.team.remove(member)
    project.updated_at = timezone.now()
    project.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_TEAM_MEMBER_REMOVED,
        target=project,
        changes={"team": {"removed": f"user #{member.pk}"}},
    )
