"""The consent text promises only what the product does: members change their answers to
open polls (a new response supersedes the old; nothing is overwritten), "remove everything"
also removes the site account's identity and signs the member out, and the join form
pre-selects none of the answers that feed the weighting."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.confirm import post_confirmed
from tests.panel.factories import make_invitation, make_member, make_poll
from whatworks.core.models import User
from whatworks.core.roles import Role
from whatworks.core.services.users import user_roles, user_set_roles
from whatworks.panel import consent
from whatworks.panel.errors import PollClosedError
from whatworks.panel.models import PanelMember, Response
from whatworks.panel.results import poll_results
from whatworks.panel.services.answering import response_revise, response_save
from whatworks.panel.services.members import member_anonymise, member_erase, member_export
from whatworks.panel.services.schedule import poll_close

pytestmark = pytest.mark.django_db


def test_the_consent_text_promises_changing_answers_to_open_polls() -> None:
    assert "change my answers to open polls" in consent.current().membership


def test_changing_answers_makes_a_new_response_that_supersedes_the_old() -> None:
    poll = make_poll()
    question = poll.questions.get(kind="single")
    invitation, _ = make_invitation(poll=poll)
    sent, _ = response_save(
        actor=None, invitation=invitation, answers={question.pk: "Yes"}, submit=True
    )
    revision = response_revise(actor=None, invitation=invitation)
    assert revision.supersedes_id == sent.pk and revision.status == "partial"
    assert response_revise(actor=None, invitation=invitation).pk == revision.pk  # idempotent
    # until the change is sent, the old answer counts
    assert poll_results(poll).answers[question.pk][1] == ["Yes"]
    assert list(Response.objects.filter(poll=poll).current()) == [sent]
    changed, did = response_save(
        actor=None, invitation=invitation, answers={question.pk: "No"}, submit=True
    )
    assert did and changed.pk == revision.pk and changed.status == "complete"
    assert poll_results(poll).answers[question.pk][1] == ["No"]
    assert list(Response.objects.filter(poll=poll).current()) == [changed]
    # the record is append-only: the first response and its answer are as they were sent
    sent.refresh_from_db()
    assert sent.status == "complete" and sent.answers.get().value == "Yes"
    # sending again is a retry: nothing changes
    again, did = response_save(
        actor=None, invitation=invitation, answers={question.pk: "Yes"}, submit=True
    )
    assert not did and again.pk == changed.pk
    poll_close(actor=None, poll=poll)
    with pytest.raises(PollClosedError):
        response_revise(actor=None, invitation=invitation)
    assert invitation.member is not None
    export = member_export(member=invitation.member)
    assert [r["replaced_by_changed_answers"] for r in export["responses"]] == [True, False]


def test_the_done_page_offers_to_change_answers_while_the_poll_is_open(client: Client) -> None:
    poll = make_poll()
    question = poll.questions.get(kind="single")
    invitation, token = make_invitation(poll=poll)
    response_save(actor=None, invitation=invitation, answers={question.pk: "Yes"}, submit=True)
    url = reverse("panel:answer", kwargs={"token": token})
    assert "Change my answers" in client.get(url).content.decode()
    assert client.post(url, {"action": "change"}).status_code == 302
    page = client.get(url).content.decode()
    assert "You are changing the answers you sent" in page
    assert 'value="Yes" checked' in page
    client.post(url, {"action": "submit", f"q{question.pk}": "No"})
    assert Response.objects.filter(invitation=invitation).count() == 2


def test_remove_everything_anonymises_the_account_and_signs_out(client: Client) -> None:
    member = make_member(email="leaving@example.test")
    user = member.user
    assert user is not None
    client.force_login(user)
    response = post_confirmed(client, reverse("panel:leave"), {"level": "erase", "confirm": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == f"erased-{user.pk}@erased.invalid" and not user.is_active
    assert not user.has_usable_password() and user_roles(user) == frozenset()
    assert not User.objects.filter(email__iexact="leaving@example.test").exists()
    assert not PanelMember.objects.filter(pk=member.pk).exists()
    # signed out: the member's pages send them to sign in
    assert client.get(reverse("panel:me")).status_code == 302


def test_the_leave_confirmation_says_what_happens_to_the_account(client: Client) -> None:
    member = make_member()
    assert member.user is not None
    client.force_login(member.user)
    page = client.post(reverse("panel:leave"), {"level": "anonymise", "confirm": "on"})
    assert "Your site account goes too" in page.content.decode()


def test_a_work_account_is_kept_with_only_the_panel_role_removed() -> None:
    member = make_member(email="researcher-member@example.test")
    user = member.user
    assert user is not None
    user_set_roles(actor=None, user=user, roles=user_roles(user) | {Role.RESEARCHER})
    result = member_anonymise(actor=None, member=member)
    assert result["account"] == "kept"
    user.refresh_from_db()
    assert user.email == "researcher-member@example.test" and user.is_active
    assert user_roles(user) == frozenset({Role.RESEARCHER})
    other = make_member()
    assert member_erase(actor=None, member=other)["account"] == "anonymised"


def test_the_join_form_pre_selects_nothing_that_feeds_the_weighting(client: Client) -> None:
    page = client.get(reverse("panel:join")).content.decode()
    for name in ("role", "region", "employer_type", "age_band", "sex", "ethnicity", "years"):
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
        assert select is not None, name
        options = re.findall(r"<option[^>]*>", select.group(1))
        assert options[0].startswith('<option value=""'), name
        assert not any("selected" in o for o in options[1:]), name
    bad = client.post(reverse("panel:join"), {"email": "x@example.test", "membership": "on"})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
