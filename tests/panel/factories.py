"""Panel objects for tests, made through the services as the app makes them."""

from __future__ import annotations

import itertools
from typing import Any

from django.db import transaction

from tests.factories import user_with_role
from whatworks.core.models import User
from whatworks.core.roles import Role
from whatworks.panel.models import Invitation, PanelMember, Poll, Question
from whatworks.panel.services.invitations import InviteSelection, invitations_send
from whatworks.panel.services.members import member_confirm, member_join, new_token
from whatworks.panel.services.polls import poll_create, poll_open, question_add
from whatworks.panel.services.schedule import poll_close

_counter = itertools.count(1)

PROFILE = {
    "role": "case-holder",
    "region": "london",
    "employer_type": "local-authority",
    "age_band": "30-39",
    "sex": "female",
    "ethnicity": "white",
    "years": "5-9",
    "site": "Northmoor",
}


def make_member(*, email: str | None = None, **profile: Any) -> PanelMember:
    """An active member with an account, through join and confirm (the confirm mail skipped)."""
    email = email or f"member{next(_counter)}@example.test"
    member = member_join(
        actor=None,
        email=email,
        profile={**PROFILE, **profile},
        membership_consent=True,
        recontact=False,
    )
    assert member is not None
    token, digest = new_token()
    PanelMember.objects.filter(pk=member.pk).update(confirm_token_hash=digest)
    return member_confirm(token=token)


def make_poll(*, actor: User | None = None, status: str = "open", **kwargs: Any) -> Poll:
    n = next(_counter)
    poll = poll_create(
        actor=actor,
        title=kwargs.pop("title", f"Poll {n}"),
        slug=kwargs.pop("slug", f"poll-{n}"),
        **kwargs,
    )
    question_add(
        actor=actor,
        poll=poll,
        kind=Question.Kind.SINGLE,
        text="Is your caseload manageable?",
        options=["Yes", "No"],
        pulse_key="caseload",
    )
    question_add(
        actor=actor, poll=poll, kind=Question.Kind.NUMBER, text="How many cases?", required=False
    )
    if status in ("open", "closed"):
        poll_open(actor=actor, poll=poll)
    if status == "closed":
        poll_close(actor=actor, poll=poll)
    return poll


def make_invitation(
    *, poll: Poll | None = None, member: PanelMember | None = None
) -> tuple[Invitation, str]:
    """An invitation and its token (the token is only ever in the e-mail otherwise)."""
    poll = poll or make_poll()
    member = member or make_member()
    token, digest = new_token()
    invitation = Invitation.objects.create(
        poll=poll, member=member, token_hash=digest, region=member.region, role=member.role
    )
    return invitation, token


def invite_all(poll: Poll) -> int:
    with transaction.atomic():
        return invitations_send(
            actor=None, poll=poll, selection=InviteSelection(mode="all"), cap_days=0
        )


def researcher() -> User:
    return user_with_role(Role.RESEARCHER)


# --- permission-matrix helpers: each creates what a URL needs and returns its kwargs ---


def matrix_answer_token() -> dict[str, object]:
    """The link's token is the credential: anyone holding it may answer."""
    _, token = make_invitation()
    return {"token": token}


def matrix_open_poll() -> dict[str, object]:
    return {"slug": make_poll().slug}


def matrix_closed_poll() -> dict[str, object]:
    return {"slug": make_poll(status="closed").slug}


def matrix_draft_poll() -> dict[str, object]:
    return {"slug": make_poll(status="draft").slug}


def matrix_pulse() -> dict[str, object]:
    make_poll(status="closed")
    return {"key": "caseload"}


def matrix_study() -> dict[str, object]:
    from whatworks.panel.services.polls import study_create

    n = next(_counter)
    return {"slug": study_create(actor=None, name=f"Study {n}", slug=f"study-{n}").slug}


def matrix_draft_question() -> dict[str, object]:
    poll = make_poll(status="draft")
    question = poll.questions.first()
    assert question is not None
    return {"slug": poll.slug, "pk": question.pk}


def held_poll() -> Poll:
    """A closed poll whose weighting did not converge, so its results are held back: 24
    answers from two regions and, bar one, one role (the weight cap cannot reach the role
    margins)."""
    from whatworks.panel.services.answering import response_save

    poll = make_poll()
    question = poll.questions.get(kind="single")
    for i in range(24):
        member = make_member(
            region="london" if i % 2 else "north-west",
            role="first-line-manager" if i == 0 else "case-holder",
        )
        invitation, _ = make_invitation(poll=poll, member=member)
        response_save(
            actor=None,
            invitation=invitation,
            answers={question.pk: "Yes" if i % 3 else "No"},
            submit=True,
        )
    poll = poll_close(actor=None, poll=poll)
    assert poll.results_published_at is None
    return poll


def matrix_leave_token() -> dict[str, object]:
    from whatworks.panel.services.invitations import leave_token

    return {"token": leave_token(make_member())}
