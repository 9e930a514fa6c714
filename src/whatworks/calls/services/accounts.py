"""Applicants' own accounts and their requests to join an organisation.

Writes for the one thing calls adds to the core's people:
someone who creates an account here asks to join an existing organisation, and an
administrator or a member of that organisation approves it (the account then names the
organisation, and its holder may apply) or refuses it.  The core's tables are unchanged;
who may decide, and the open requests, are in :mod:`whatworks.calls.selectors`.

Creating an account goes through the address: :func:`applicant_register_start` e-mails a
signed link (name, address and organisation; no password, nothing stored), or, when the
address has an account already, a note to sign in or reset its password instead.  Either
way the person sees the same "check your e-mail" page, so the form tells nobody whether an
address has an account.  The link's page asks for the password and
:func:`applicant_register` makes the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.contrib.auth.backends import ModelBackend
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.calls import selectors
from whatworks.calls.errors import JoinError
from whatworks.calls.models import JoinRequest
from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import LinkInvalidError, PermissionDeniedError
from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send
from whatworks.core.models import Organisation, User
from whatworks.core.services.audit import audit_record

#: The signed link that finishes creating an account, and how long it works.
ACCOUNT_SALT = "whatworks.calls.account"
ACCOUNT_LINK_MAX_AGE = 3 * 24 * 60 * 60


def _deciders(organisation: Organisation) -> list[str]:
    """Whom to tell of a new request: the organisation's members, else the administrators."""
    members = list(organisation.members.filter(is_active=True).values_list("email", flat=True))
    if members:
        return members
    admins = ModelBackend().with_perm(selectors.JOIN_ADMIN_PERM, is_active=True)
    return list(admins.values_list("email", flat=True))


def _send(to: list[str], subject: str, body: str) -> None:
    if to:
        mail_send(mail_message(to=[], bcc=to, subject=subject, body=body))


@dataclass(frozen=True)
class PendingAccount:
    """What someone typed to create an account, read back from their e-mailed link."""

    full_name: str
    email: str
    organisation: Organisation | None


def applicant_register_start(
    *, full_name: str, email: str, organisation: Organisation | None
) -> None:
    """E-mail ``email`` the link that finishes creating the account, or, when the address
    has an account already, how to sign in or reset its password.  Nothing is stored, and
    the caller answers the same either way."""
    address = email.strip()
    existing = User.objects.filter(email__iexact=address).first()
    if existing is not None:
        body = _(
            "Someone, perhaps you, asked to create an account on whatworks with this "
            "address, to apply to calls for partners. It has an account already.\n\n"
            "Sign in here:\n%(sign_in)s\n\n"
            "Forgotten the password? Set a new one here:\n%(reset)s\n\n"
            "If it was not you, you need do nothing.\n"
        ) % {
            "sign_in": absolute_url(reverse("core:login")),
            "reset": absolute_url(reverse("core:password_reset")),
        }
        _send_to(existing.email, _("You have an account on whatworks already"), body)
        return
    token = pending_account_token(
        PendingAccount(full_name=full_name.strip(), email=address, organisation=organisation)
    )
    body = _(
        "To finish creating your account on whatworks, to apply to calls for partners, "
        "open this link and choose a password:\n%(link)s\n\n"
        "The link works for 3 days. If you did not ask for an account, you need do "
        "nothing: none is made.\n"
    ) % {"link": absolute_url(reverse("calls:account_confirm", args=[token]))}
    _send_to(address, _("Finish creating your account on whatworks"), body)


def _send_to(address: str, subject: str, body: str) -> None:
    transaction.on_commit(
        partial(mail_send, mail_message(to=[address], subject=subject, body=body))
    )


def pending_account_token(pending: PendingAccount) -> str:
    """The signed token of the link that finishes creating ``pending``'s account."""
    organisation = pending.organisation
    return signing.dumps(
        {
            "n": pending.full_name,
            "e": pending.email,
            "o": organisation.pk if organisation is not None else None,
        },
        salt=ACCOUNT_SALT,
        compress=True,
    )


def pending_account(token: str) -> PendingAccount:
    """The account a link from :func:`applicant_register_start` is for; a 404 that says
    what to do when the link was altered or has expired."""
    try:
        data = signing.loads(token, salt=ACCOUNT_SALT, max_age=ACCOUNT_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        raise LinkInvalidError(
            advice=_("Links to finish creating an account work for 3 days. Ask for a new one."),
            steps=(("calls:account_new", _("Create an account to apply")),),
        ) from None
    organisation = (
        Organisation.objects.filter(pk=data["o"]).first() if data.get("o") is not None else None
    )
    return PendingAccount(full_name=str(data["n"]), email=str(data["e"]), organisation=organisation)


@transaction.atomic
def applicant_register(
    *, full_name: str, email: str, password: str, organisation: Organisation | None
) -> User:
    """Create an account for someone who wants to apply (from their e-mailed link, so the
    address is theirs); ask to join ``organisation``."""
    if User.objects.filter(email__iexact=email.strip()).exists():
        raise JoinError(
            _("An account with this address exists already: sign in, or reset its password.")
        )
    try:
        user = User.objects.create_user(email.strip(), password, full_name=full_name.strip())
    except ValidationError as exc:
        raise JoinError.from_validation(exc) from None
    audit_record(actor=user, action=AuditAction.USER_REGISTERED_TO_APPLY, target=user)
    if organisation is not None:
        join_request_create(actor=user, organisation=organisation)
    return user


@transaction.atomic
def join_request_create(*, actor: User, organisation: Organisation) -> JoinRequest:
    if actor.organisation_id is not None:
        raise JoinError(_("Your account already belongs to %(org)s.") % {"org": actor.organisation})
    if JoinRequest.objects.filter(user=actor, decided_at__isnull=True).exists():
        raise JoinError(_("You have asked to join an organisation already; wait for the answer."))
    request = JoinRequest.objects.create(user=actor, organisation=organisation)
    audit_record(
        actor=actor,
        action=AuditAction.ORGANISATION_JOIN_REQUESTED,
        target=organisation,
        changes={"request": request.pk},
    )
    body = _(
        "%(who)s (%(email)s) asks to join %(org)s on whatworks, to apply to calls for "
        "partners on its behalf.\n\nApprove or refuse it here:\n%(link)s\n"
    ) % {
        "who": actor.get_full_name(),
        "email": actor.email,
        "org": organisation.name,
        "link": absolute_url(reverse("calls:join_requests")),
    }
    transaction.on_commit(
        partial(
            _send,
            _deciders(organisation),
            _("Someone asks to join %(org)s") % {"org": organisation.name},
            body,
        )
    )
    return request


@transaction.atomic
def join_request_decide(*, actor: User, request: JoinRequest, approve: bool) -> JoinRequest:
    request = JoinRequest.objects.select_for_update().select_related("user").get(pk=request.pk)
    if not selectors.can_decide_join_request(actor, request) or request.user_id == actor.pk:
        raise PermissionDeniedError(_("You may not decide on this request."))
    if request.decided_at is not None:
        raise JoinError(_("This request has been decided already."))
    person = User.objects.select_for_update().get(pk=request.user_id)
    if approve and person.organisation_id is not None:
        raise JoinError(_("%(who)s belongs to an organisation already.") % {"who": person})
    request.approved = approve
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save()
    if approve:
        person.organisation_id = request.organisation_id
        person.save(update_fields=["organisation"])
    audit_record(
        actor=actor,
        action=AuditAction.ORGANISATION_JOIN_APPROVED
        if approve
        else AuditAction.ORGANISATION_JOIN_REFUSED,
        target=person,
        changes={"organisation": request.organisation_id},
    )
    org = request.organisation.name
    body = (
        _("You can now apply to calls for partners for %(org)s:\n%(link)s\n")
        if approve
        else _("Your request to join %(org)s was not approved. Reply to this e-mail to ask why.\n")
    ) % {"org": org, "link": absolute_url(reverse("calls:index"))}
    transaction.on_commit(
        partial(
            _send,
            [person.email],
            _("Your request to join %(org)s") % {"org": org},
            body,
        )
    )
    return request
