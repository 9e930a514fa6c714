"""Joining with double opt-in, consent as data, the profile, export, and the three erasures."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.confirm import post_confirmed
from tests.panel.factories import PROFILE, make_invitation, make_member, make_poll
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.core.services.users import user_roles
from whatworks.panel import consent
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Answer, ConsentRecord, Invitation, PanelMember, Response
from whatworks.panel.services.answering import response_save
from whatworks.panel.services.members import (
    member_anonymise,
    member_confirm,
    member_erase,
    member_join,
    member_leave,
)

pytestmark = pytest.mark.django_db


def _answered(member: PanelMember) -> Response:
    invitation, _ = make_invitation(member=member)
    q = invitation.poll.questions.first()
    assert q is not None
    response, _ = response_save(
        actor=None, invitation=invitation, answers={q.pk: "Yes"}, submit=True
    )
    return response


def test_join_records_consent_and_mails_a_link_that_confirms_once(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    data = {**PROFILE, "email": "New.Person@Example.test", "membership": "on", "recontact": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("panel:join"), data)
    assert response.status_code == 302
    member = PanelMember.objects.get(email="new.person@example.test")
    assert member.status == PanelMember.Status.PENDING
    records = {c.purpose: c for c in member.consents.all()}
    assert records["membership"].granted and records["recontact"].granted
    assert records["membership"].text_version == consent.CURRENT
    assert records["membership"].text_hash == consent.current().sha256
    assert len(records["membership"].text_hash) == 64
    assert len(mail.outbox) == 1
    link = re.search(r"http\S+/panel/confirm/(\S+)/", str(mail.outbox[0].body))
    assert link is not None
    token = link.group(1)
    # GET does not confirm (mail scanners follow links)
    assert client.get(reverse("panel:confirm", kwargs={"token": token})).status_code == 200
    member.refresh_from_db()
    assert member.status == PanelMember.Status.PENDING
    response = client.post(reverse("panel:confirm", kwargs={"token": token}))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == PanelMember.Status.ACTIVE and member.user is not None
    assert Role.PANEL_MEMBER in user_roles(member.user)
    again = client.post(reverse("panel:confirm", kwargs={"token": token}))
    assert again.status_code == 400


def test_join_needs_the_membership_consent(client: Client) -> None:
    response = client.post(reverse("panel:join"), {**PROFILE, "email": "x@example.test"})
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert not PanelMember.objects.exists()
    with pytest.raises(PanelError):
        member_join(
            actor=None,
            email="y@example.test",
            profile=PROFILE,
            membership_consent=False,
            recontact=False,
        )


def test_joining_again_as_a_member_reveals_nothing(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    make_member(email="taken@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        result = member_join(
            actor=None,
            email="taken@example.test",
            profile=PROFILE,
            membership_consent=True,
            recontact=False,
        )
    assert result is None
    assert "already" in mail.outbox[-1].subject


def test_bad_token_does_not_confirm() -> None:
    with pytest.raises(PanelError):
        member_confirm(token="nonsense")


def test_profile_edit_and_export(client: Client) -> None:
    member = make_member()
    _answered(member)
    assert member.user is not None
    client.force_login(member.user)
    response = client.post(reverse("panel:profile"), {**PROFILE, "region": "north-east"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.region == "north-east"
    entry = AuditEntry.objects.filter(action="panel.profile_changed").get()
    assert entry.changes == {"fields": ["region"]}
    data = json.loads(client.get(reverse("panel:export")).content)
    assert data["email"] == member.email
    assert data["profile"]["region"] == "north-east"
    assert data["responses"][0]["answers"] == [
        {"question": "Is your caseload manageable?", "answer": "Yes"}
    ]
    assert {c["purpose"] for c in data["consents"]} == {"membership", "recontact"}


def _no_personal_data_in_audit(member_email: str) -> None:
    for entry in AuditEntry.objects.all():
        text = json.dumps([entry.actor_label, entry.object_repr, entry.changes])
        assert member_email not in text
        assert "Northmoor" not in text


def test_level_1_leave_keeps_answers_and_stops_invitations() -> None:
    member = make_member()
    response = _answered(member)
    pending, _ = make_invitation(member=member)
    member_leave(actor=member.user, member=member)
    member.refresh_from_db()
    assert member.status == PanelMember.Status.LEFT
    assert member.email  # identity kept at this level
    assert Response.objects.filter(pk=response.pk, member=member).exists()
    pending.refresh_from_db()
    assert pending.disposition == Invitation.Disposition.OPTED_OUT
    membership = member.consents.filter(purpose="membership").last()
    assert membership is not None and membership.granted is False
    assert member.user is not None and Role.PANEL_MEMBER not in user_roles(member.user)
    entry = AuditEntry.objects.get(action="panel.member_left")
    assert entry.changes == {"level": 1}
    _no_personal_data_in_audit(member.email)


def test_level_2_anonymise_removes_identity_keeps_answers() -> None:
    member = make_member()
    email = member.email
    response = _answered(member)
    member_pk = member.pk
    result = member_anonymise(actor=member.user, member=member)
    assert result["responses_kept"] == 1
    assert not PanelMember.objects.filter(pk=member_pk).exists()
    assert not ConsentRecord.objects.filter(member_id=member_pk).exists()
    response.refresh_from_db()
    assert response.member is None and response.site == ""
    assert response.role == "case-holder" and response.status == "complete"
    assert Answer.objects.filter(response=response).count() == 1
    assert Invitation.objects.filter(member__isnull=True).count() == 1
    entry = AuditEntry.objects.get(action="panel.member_anonymised")
    assert entry.object_id == str(member_pk) and entry.changes == {
        "level": 2,
        "responses_kept": 1,
        "account": "anonymised",
    }
    _no_personal_data_in_audit(email)


def test_level_3_erase_removes_everything() -> None:
    member = make_member()
    email = member.email
    response = _answered(member)
    other = _answered(make_member())
    member_pk = member.pk
    member_erase(actor=None, member=member)
    assert not PanelMember.objects.filter(pk=member_pk).exists()
    assert not Response.objects.filter(pk=response.pk).exists()
    assert not Answer.objects.filter(response_id=response.pk).exists()
    assert not Invitation.objects.filter(member_id=member_pk).exists()
    assert not ConsentRecord.objects.filter(member_id=member_pk).exists()
    assert Response.objects.filter(pk=other.pk).exists()
    entry = AuditEntry.objects.get(action="panel.member_erased")
    assert entry.changes == {"level": 3, "responses_deleted": 1, "account": "anonymised"}
    _no_personal_data_in_audit(email)


@pytest.mark.parametrize("level", ["leave", "anonymise", "erase"])
def test_leave_page_runs_each_level(client: Client, level: str) -> None:
    member = make_member()
    assert member.user is not None
    client.force_login(member.user)
    assert client.post(reverse("panel:leave"), {"level": level}).status_code == 200  # needs confirm
    response = post_confirmed(client, reverse("panel:leave"), {"level": level, "confirm": "on"})
    assert response.status_code == 302
    exists = PanelMember.objects.filter(pk=member.pk).exists()
    assert exists is (level == "leave")


def test_recontact_consent_is_appended(client: Client) -> None:
    member = make_member()
    assert member.user is not None
    client.force_login(member.user)
    client.post(reverse("panel:recontact"), {"recontact": "on"})
    client.post(reverse("panel:recontact"), {})
    decisions = list(member.consents.filter(purpose="recontact").values_list("granted", flat=True))
    assert decisions == [False, True, False]


def test_make_poll_helper_works() -> None:
    assert make_poll(status="closed").status == "closed"


def test_study_waves_go_only_to_members_who_consented(client: Client) -> None:
    from whatworks.panel.services.invitations import InviteSelection, invitations_send
    from whatworks.panel.services.polls import study_create

    study = study_create(actor=None, name="Rounds", slug="rounds")
    yes, no, withdrew = make_member(), make_member(), make_member()
    for member, choices in ((yes, ["yes"]), (withdrew, ["yes", "no"])):
        assert member.user is not None
        client.force_login(member.user)
        for granted in choices:
            url = reverse("panel:study_consent", kwargs={"slug": "rounds"})
            assert client.post(url, {"granted": granted}).status_code == 302
    assert b"Rounds: you do not take part" in client.get(reverse("panel:me")).content  # withdrew
    wave = make_poll(study=study, wave=1)
    count = invitations_send(
        actor=None, poll=wave, selection=InviteSelection(mode="all"), cap_days=0
    )
    assert count == 1
    assert Invitation.objects.get(poll=wave).member == yes
    record = ConsentRecord.objects.filter(member=withdrew, purpose="study").last()
    assert record is not None and record.granted is False and record.study == study
    assert no.consents.filter(purpose="study").count() == 0
