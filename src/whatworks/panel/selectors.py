"""Reads of the panel with their access checks; views fetch objects only through these."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from whatworks.core.errors import LinkInvalidError
from whatworks.core.http import AnyUser
from whatworks.core.models import User
from whatworks.panel.models import (
    Invitation,
    PanelMember,
    Poll,
    Question,
    Response,
    Scale,
    Study,
)
from whatworks.panel.services.members import token_hash

MANAGE_PERMISSION = "panel.change_poll"


def can_manage(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(MANAGE_PERMISSION))


def member_for_user(*, user: AnyUser) -> PanelMember | None:
    """The signed-in person's membership (pending, active or left), if any."""
    if not user.is_authenticated:
        return None
    return PanelMember.objects.filter(user=user).first()


def member_get_for_user(*, user: User) -> PanelMember:
    member = member_for_user(user=user)
    if member is None:
        raise Http404("Not a panel member.")
    return member


def invitation_get_by_token(*, token: str) -> Invitation:
    """The invitation a link's token belongs to; anything else is 404 (tokens are secrets)."""
    invitation = (
        Invitation.objects.select_related("poll", "member")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None or not token:
        raise LinkInvalidError(
            advice=(
                "The link in your invitation may have been cut short, or the invitation was "
                "removed after its poll closed. Members can see the polls open to them on "
                "their panel page."
            ),
            steps=(
                ("panel:me", "Go to your panel page (sign in first)"),
                ("panel:index", "About the panel"),
            ),
        )
    return invitation


def response_for_invitation(*, invitation: Invitation) -> Response | None:
    """The invitation's newest response (a change being made, or the one that counts)."""
    return Response.objects.filter(invitation=invitation).order_by("-pk").first()


def poll_get_for_user(*, user: AnyUser, slug: str, manage: bool = False) -> Poll:
    """Researchers see every poll; others see only published results; else 404."""
    poll = Poll.objects.select_related("study").filter(slug=slug).first()
    if poll is None:
        raise Http404("No such poll.")
    if can_manage(user):
        return poll
    if not manage and poll.results_published and poll.audience == Poll.Audience.PANEL:
        return poll  # an outside survey's results are shown only where it was made from
    raise Http404("No such poll.")


def question_get_for_user(*, user: User, slug: str, pk: int) -> Question:
    """A question of a poll that ``user`` manages; 404 for anyone else or a wrong pair."""
    poll = poll_get_for_user(user=user, slug=slug, manage=True)
    question = (
        poll.questions.select_related("poll", "scale")
        .prefetch_related("conditions__depends_on", "dependants")
        .filter(pk=pk)
        .first()
    )
    if question is None:
        raise Http404("No such question.")
    return question


#: Panel managers may use every poll's invitation tools (the bounces page); no role holds
#: it by default (superusers have it); an administrator grants it to a person.
INVITATIONS_PERMISSION = "panel.change_invitation"


def poll_get_for_owner(*, user: User, slug: str) -> Poll:
    """A poll whose invitations ``user`` may act on: its owner (who set it up) or a panel
    manager.  Other researchers may know the poll exists (403); everyone else gets 404."""
    poll = poll_get_for_user(user=user, slug=slug, manage=True)
    if poll.created_by_id == user.pk or user.has_perm(INVITATIONS_PERMISSION):
        return poll
    raise PermissionDenied("Only the poll's owner or a panel manager may do this.")


def polls_closed() -> QuerySet[Poll]:
    """Closed polls whose results are published, latest first."""
    return Poll.objects.filter(
        status=Poll.Status.CLOSED, results_published_at__isnull=False, audience=Poll.Audience.PANEL
    ).order_by("-closed_at")


def polls_for_manager(*, user: User) -> QuerySet[Poll]:
    if not can_manage(user):
        return Poll.objects.none()
    return Poll.objects.select_related("study").order_by("-created_at")


def study_get_for_user(*, user: AnyUser, slug: str) -> Study:
    study = Study.objects.filter(slug=slug).first()
    if study is None or not can_manage(user):
        raise Http404("No such study.")
    return study


def study_get_public(*, slug: str) -> Study:
    """Studies are public (members are asked to consent to them); 404 if there is none."""
    study = Study.objects.filter(slug=slug).first()
    if study is None:
        raise Http404("No such study.")
    return study


def study_choices(*, member: PanelMember) -> list[tuple[Study, bool]]:
    """Every study with the member's latest decision about it (False if none)."""
    latest: dict[int, bool] = {}
    for record in member.consents.filter(purpose="study").order_by("recorded_at", "pk"):
        assert record.study_id is not None
        latest[record.study_id] = record.granted
    return [(study, latest.get(study.pk, False)) for study in Study.objects.all()]


def member_invitations(*, member: PanelMember) -> QuerySet[Invitation]:
    return member.invitations.select_related("poll").order_by("-sent_at")


def scales_published() -> QuerySet[Scale]:
    return Scale.objects.filter(published=True).prefetch_related("items")


def invitation_for_member(*, user: User, slug: str) -> Invitation:
    """A signed-in member's own invitation to a poll (the same as following their link)."""
    member = member_for_user(user=user)
    invitation = (
        Invitation.objects.select_related("poll", "member")
        .filter(member=member, poll__slug=slug)
        .first()
        if member is not None
        else None
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation
