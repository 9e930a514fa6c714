"""Members: joining with double opt-in, consent as data, the profile, and the three erasures.

Audit entries name members by number and record what happened (the level of an erasure,
counts), never an e-mail address or a profile value.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send
from whatworks.core.models import User
from whatworks.core.roles import Role
from whatworks.core.services.audit import audit_record
from whatworks.core.services.users import user_anonymise, user_create, user_roles, user_set_roles
from whatworks.panel import consent
from whatworks.panel.errors import PanelError
from whatworks.panel.models import PROFILE_FIELDS, ConsentRecord, PanelMember, Study


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def _mail_on_commit(*, to: str, subject: str, body: str) -> None:
    transaction.on_commit(lambda: mail_send(mail_message(to=[to], subject=subject, body=body)))


def _consent(
    *, member: PanelMember, purpose: str, granted: bool, study: Study | None = None
) -> ConsentRecord:
    text = consent.current()
    record = ConsentRecord(
        member=member,
        purpose=purpose,
        study=study,
        granted=granted,
        text_version=text.version,
        text_hash=text.sha256,
    )
    full_clean_or_raise(record, PanelError)
    record.save()
    return record


@transaction.atomic
def member_join(
    *,
    actor: User | None,
    email: str,
    profile: dict[str, str],
    membership_consent: bool,
    recontact: bool,
    studies: tuple[Study, ...] = (),
) -> PanelMember | None:
    """Ask to join: record the consents and e-mail a confirmation link (double opt-in).

    Returns the pending member, or None when the address is already a member (they are
    told so by e-mail; the page says the same either way, so it reveals nothing).
    """
    if not membership_consent:
        raise PanelError(_("You need to agree to the panel's terms to join."))
    email = User.objects.normalize_email(email).strip().lower()
    existing = PanelMember.objects.filter(email__iexact=email).first()
    if existing is not None and existing.status == PanelMember.Status.ACTIVE:
        _mail_on_commit(
            to=email,
            subject=_("You are already on the whatworks panel"),
            body=_("Someone asked to join the panel with this address, which is already a member."),
        )
        return None
    member = existing or PanelMember(email=email)
    for name in PROFILE_FIELDS:
        setattr(member, name, profile.get(name, ""))
    member.site = profile.get("site", "")
    member.recontact = recontact
    member.status = PanelMember.Status.PENDING
    if actor is not None and actor.is_authenticated and actor.email.lower() == email:
        member.user = actor
    token, digest = new_token()
    member.confirm_token_hash = digest
    full_clean_or_raise(member, PanelError)
    member.save()
    _consent(member=member, purpose=ConsentRecord.Purpose.MEMBERSHIP, granted=True)
    _consent(member=member, purpose=ConsentRecord.Purpose.RECONTACT, granted=recontact)
    for study in studies:
        _consent(member=member, purpose=ConsentRecord.Purpose.STUDY, granted=True, study=study)
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_MEMBER_JOINED,
        target=member,
        changes={"consent_version": consent.CURRENT, "studies": [s.slug for s in studies]},
    )
    link = absolute_url(reverse("panel:confirm", kwargs={"token": token}))
    _mail_on_commit(
        to=email,
        subject=_("Confirm that you want to join the whatworks panel"),
        body=_(
            "Confirm your place on the panel by opening this link:\n\n%(link)s\n\n"
            "If you did not ask to join, ignore this e-mail."
        )
        % {"link": link},
    )
    return member


@transaction.atomic
def member_confirm(*, token: str) -> PanelMember:
    """Second step of the opt-in: activate the member and give them an account and the role."""
    member = (
        PanelMember.objects.select_for_update()
        .filter(confirm_token_hash=token_hash(token), status=PanelMember.Status.PENDING)
        .first()
    )
    if member is None or not token:
        raise PanelError(_("This confirmation link has been used or is not valid."))
    user = member.user or User.objects.filter(email__iexact=member.email).first()
    if user is None:
        user = user_create(
            actor=None, email=member.email, password=None, roles=frozenset({Role.PANEL_MEMBER})
        )
    else:
        user_set_roles(actor=user, user=user, roles=user_roles(user) | {Role.PANEL_MEMBER})
    if PanelMember.objects.filter(user=user).exclude(pk=member.pk).exists():
        raise PanelError(_("This account already has a panel membership."))
    member.user = user
    member.status = PanelMember.Status.ACTIVE
    member.confirm_token_hash = ""
    member.confirmed_at = timezone.now()
    member.save(update_fields=["user", "status", "confirm_token_hash", "confirmed_at"])
    audit_record(actor=user, action=AuditAction.PANEL_MEMBER_CONFIRMED, target=member)
    return member


@transaction.atomic
def member_update_profile(
    *, actor: User, member: PanelMember, profile: dict[str, str]
) -> PanelMember:
    before = member.profile()
    for name in (*PROFILE_FIELDS, "site"):
        if name in profile:
            setattr(member, name, profile[name])
    full_clean_or_raise(member, PanelError)
    member.save()
    changed = sorted(k for k, v in member.profile().items() if before.get(k) != v)
    if changed:
        # which fields changed, never their values: the profile is personal data
        audit_record(
            actor=actor,
            action=AuditAction.PANEL_PROFILE_CHANGED,
            target=member,
            changes={"fields": changed},
        )
    return member


@transaction.atomic
def member_set_consent(
    *, actor: User, member: PanelMember, purpose: str, granted: bool, study: Study | None = None
) -> ConsentRecord:
    record = _consent(member=member, purpose=purpose, granted=granted, study=study)
    if purpose == ConsentRecord.Purpose.RECONTACT:
        member.recontact = granted
        member.save(update_fields=["recontact"])
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_CONSENT_RECORDED,
        target=member,
        changes={"purpose": purpose, "granted": granted, "study": study.slug if study else None},
    )
    return record


def _drop_role(member: PanelMember) -> None:
    user = member.user
    if user is not None:
        user_set_roles(actor=user, user=user, roles=user_roles(user) - {Role.PANEL_MEMBER})


def _close_account(member: PanelMember, *, actor: User | None) -> str:
    """After removing a member's identity: anonymise the site account that joining made,
    unless it is also a work account (any other role, or staff) — then only the panel's
    role goes.  Returns "anonymised", "kept" or "none"."""
    user = member.user
    if user is None:
        return "none"
    if user_roles(user) - {Role.PANEL_MEMBER} or user.is_staff or user.is_superuser:
        _drop_role(member)
        return "kept"
    user_anonymise(actor=actor, user=user)
    return "anonymised"


def account_fate(member: PanelMember) -> str:
    """What removing the member's identity would do to their account (for the page)."""
    user = member.user
    if user is None:
        return "none"
    if user_roles(user) - {Role.PANEL_MEMBER} or user.is_staff or user.is_superuser:
        return "kept"
    return "anonymised"


@transaction.atomic
def member_leave(*, actor: User | None, member: PanelMember) -> PanelMember:
    """Erasure level 1: stop being a member; no more invitations; answers are kept."""
    if member.status == PanelMember.Status.LEFT:
        return member
    member.status = PanelMember.Status.LEFT
    member.left_at = timezone.now()
    member.save(update_fields=["status", "left_at"])
    _consent(member=member, purpose=ConsentRecord.Purpose.MEMBERSHIP, granted=False)
    _consent(member=member, purpose=ConsentRecord.Purpose.RECONTACT, granted=False)
    member.invitations.filter(disposition__in=["invited", "opened", "partial"]).update(
        disposition="opted-out"
    )
    _drop_role(member)
    audit_record(
        actor=actor, action=AuditAction.PANEL_MEMBER_LEFT, target=member, changes={"level": 1}
    )
    return member


@transaction.atomic
def member_anonymise(*, actor: User | None, member: PanelMember) -> dict[str, int | str]:
    """Erasure level 2: remove identity, keep the anonymised answers.

    Responses keep their profile snapshot and their per-study pseudonym (a one-way hash of
    a key that is deleted here), lose the link to the member and the site; the member, their
    consents and contact details are deleted, and so is the identity on the site account
    joining made (see :func:`_close_account`).
    """
    account = _close_account(member, actor=actor)
    kept = member.responses.update(member=None, site="")
    member.invitations.update(member=None)
    pk = member.pk
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_MEMBER_ANONYMISED,
        target=member,
        changes={"level": 2, "responses_kept": kept, "account": account},
    )
    member.delete()
    return {"member": pk, "responses_kept": kept, "account": account}


@transaction.atomic
def member_erase(*, actor: User | None, member: PanelMember) -> dict[str, int | str]:
    """Erasure level 3: remove everything — member, consents, invitations, answers, and
    the identity on the site account joining made (see :func:`_close_account`)."""
    account = _close_account(member, actor=actor)
    deleted = member.responses.count()
    member.responses.all().delete()
    member.invitations.all().delete()
    pk = member.pk
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_MEMBER_ERASED,
        target=member,
        changes={"level": 3, "responses_deleted": deleted, "account": account},
    )
    member.delete()
    return {"member": pk, "responses_deleted": deleted, "account": account}


def member_export(*, member: PanelMember) -> dict[str, Any]:
    """Everything the panel holds about a member, as plain data (the JSON download)."""
    from whatworks.panel.models import Answer, Response

    answers: dict[int, list[dict[str, Any]]] = {}
    for answer in Answer.objects.filter(response__member=member).select_related("question"):
        answers.setdefault(answer.response_id, []).append(
            {"question": answer.question.text, "answer": answer.value}
        )
    return {
        "email": member.email,
        "status": member.status,
        "joined": member.created_at.isoformat(),
        "confirmed": member.confirmed_at.isoformat() if member.confirmed_at else None,
        "profile": {**member.profile(), "site": member.site},
        "consents": [
            {
                "purpose": c.purpose,
                "study": c.study.slug if c.study else None,
                "granted": c.granted,
                "text_version": c.text_version,
                "text_sha256": c.text_hash,
                "recorded_at": c.recorded_at.isoformat(),
            }
            for c in member.consents.select_related("study")
        ],
        "invitations": [
            {"poll": i.poll.title, "disposition": i.disposition, "sent_at": i.sent_at.isoformat()}
            for i in member.invitations.select_related("poll")
        ],
        "responses": [
            {
                "poll": r.poll.title,
                "status": r.status,
                "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
                "replaced_by_changed_answers": Response.objects.filter(
                    supersedes=r, status=Response.Status.COMPLETE
                ).exists(),
                "answers": answers.get(r.pk, []),
            }
            for r in member.responses.select_related("poll")
        ],
    }


@transaction.atomic
def member_data_export_access_record(*, actor: User, member: PanelMember, sections: int) -> None:
    """Record that ``actor`` (the member) downloaded their own panel data, by count of
    sections."""
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_MEMBER_DATA_EXPORTED,
        target=member,
        changes={"sections": sections},
    )
