"""Retention: unconfirmed sign-ups, members who left, invitations of long-closed polls."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.panel.factories import PROFILE, make_invitation, make_member, make_poll
from whatworks.core.models import AuditEntry
from whatworks.panel.models import ConsentRecord, Invitation, PanelMember, Poll, Response
from whatworks.panel.services.answering import response_save
from whatworks.panel.services.members import member_join, member_leave, token_hash
from whatworks.panel.services.retention import DROPPED_TOKEN_PREFIX, panel_retention_apply
from whatworks.panel.services.schedule import poll_close
from whatworks.panel.tasks import apply_retention

pytestmark = pytest.mark.django_db


def join(email: str) -> PanelMember:
    member = member_join(
        actor=None, email=email, profile=dict(PROFILE), membership_consent=True, recontact=True
    )
    assert member is not None
    return member


def answered(member: PanelMember) -> Response:
    invitation, _ = make_invitation(member=member)
    q = invitation.poll.questions.first()
    assert q is not None
    response, _ = response_save(
        actor=None, invitation=invitation, answers={q.pk: "Yes"}, submit=True
    )
    return response


def test_unconfirmed_sign_ups_are_deleted_after_the_limit() -> None:
    old = join("old@example.test")
    new = join("new@example.test")
    now = timezone.now()
    PanelMember.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=40))
    ConsentRecord.objects.filter(member=old).update(recorded_at=now - timedelta(days=40))
    report = panel_retention_apply(unconfirmed_days=30, now=now)
    assert report.unconfirmed_deleted == 1
    assert not PanelMember.objects.filter(pk=old.pk).exists()
    assert not ConsentRecord.objects.filter(member_id=old.pk).exists()
    assert PanelMember.objects.filter(pk=new.pk).exists()


def test_a_stale_request_to_rejoin_keeps_the_answers_anonymised() -> None:
    member = make_member(email="back@example.test", site="Northmoor")
    response = answered(member)
    member_leave(actor=None, member=member)
    join("back@example.test")  # asks to rejoin, never confirms
    member.refresh_from_db()
    assert member.status == PanelMember.Status.PENDING
    later = timezone.now() + timedelta(days=31)
    report = panel_retention_apply(unconfirmed_days=30, left_days=10_000, now=later)
    assert report.rejoin_requests_anonymised == 1 and report.unconfirmed_deleted == 0
    assert not PanelMember.objects.filter(pk=member.pk).exists()
    response.refresh_from_db()
    assert response.member_id is None and response.site == "" and response.answers.count() == 1


def test_members_who_left_long_ago_lose_their_identity_not_their_answers() -> None:
    gone = make_member(email="gone@example.test")
    recent = make_member(email="recent@example.test")
    stays = make_member(email="stays@example.test")
    response = answered(gone)
    member_leave(actor=None, member=gone)
    member_leave(actor=None, member=recent)
    PanelMember.objects.filter(pk=gone.pk).update(left_at=timezone.now() - timedelta(days=100))
    report = panel_retention_apply(left_days=90)
    assert report.left_anonymised == 1
    assert not PanelMember.objects.filter(email="gone@example.test").exists()
    assert PanelMember.objects.filter(pk=recent.pk, status="left").exists()
    assert PanelMember.objects.filter(pk=stays.pk, status="active").exists()
    response.refresh_from_db()
    assert response.member_id is None and response.pseudonym and response.answers.exists()
    assert AuditEntry.objects.filter(action="panel.member_anonymised").count() == 1


def test_invitations_of_long_closed_polls_lose_token_and_member() -> None:
    old_poll = make_poll()
    invitation, token = make_invitation(poll=old_poll)
    answered_invitation, _ = make_invitation(poll=old_poll)
    q = old_poll.questions.first()
    assert q is not None
    response_save(actor=None, invitation=answered_invitation, answers={q.pk: "No"}, submit=True)
    poll_close(actor=None, poll=old_poll)
    Poll.objects.filter(pk=old_poll.pk).update(closed_at=timezone.now() - timedelta(days=200))
    recent_poll = make_poll()
    recent, recent_token = make_invitation(poll=recent_poll)
    poll_close(actor=None, poll=recent_poll)
    open_invitation, _ = make_invitation()

    report = panel_retention_apply(closed_poll_days=180)
    assert report.invitations_cleared == 2
    invitation.refresh_from_db()
    assert invitation.member_id is None
    assert invitation.token_hash == f"{DROPPED_TOKEN_PREFIX}{invitation.pk}"
    assert not Invitation.objects.filter(token_hash=token_hash(token)).exists()
    answered_invitation.refresh_from_db()
    assert answered_invitation.disposition == "complete"  # response rates survive
    assert Invitation.objects.filter(pk=recent.pk, token_hash=token_hash(recent_token)).exists()
    assert Invitation.objects.filter(pk=open_invitation.pk, member__isnull=False).exists()
    # a second run finds nothing more to do
    assert panel_retention_apply(closed_poll_days=180).invitations_cleared == 0


def test_each_run_is_audited_with_counts_only() -> None:
    join("someone@example.test")
    PanelMember.objects.update(created_at=timezone.now() - timedelta(days=100))
    ConsentRecord.objects.update(recorded_at=timezone.now() - timedelta(days=100))
    panel_retention_apply()
    entry = AuditEntry.objects.get(action="panel.retention_applied")
    assert entry.changes["unconfirmed_deleted"] == 1
    assert entry.changes["unconfirmed_days"] == 30
    assert "someone" not in str(entry.changes) and "@" not in str(entry.changes)


@override_settings(
    WHATWORKS_PANEL_UNCONFIRMED_DAYS=1,
    WHATWORKS_PANEL_LEFT_DAYS=2,
    WHATWORKS_PANEL_CLOSED_POLL_DAYS=3,
)
def test_the_limits_come_from_the_settings_and_the_command_and_task_run_it() -> None:
    join("quick@example.test")
    PanelMember.objects.update(created_at=timezone.now() - timedelta(days=2))
    ConsentRecord.objects.update(recorded_at=timezone.now() - timedelta(days=2))
    out = StringIO()
    call_command("panel_retention", stdout=out)
    assert "1 unconfirmed sign-up(s) deleted" in out.getvalue()
    entry = AuditEntry.objects.get(action="panel.retention_applied")
    assert (entry.changes["left_days"], entry.changes["closed_poll_days"]) == (2, 3)
    result = apply_retention.call()
    assert result["unconfirmed_deleted"] == 0 and result["unconfirmed_days"] == 1


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        panel_retention_apply(left_days=-1)
