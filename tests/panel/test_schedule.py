"""Polls that open and close at set times (no clock waits: the check is given ``now``, the
queued tasks are made due); closing publishes results unless the weighting did not
converge; invitations say what they should, "remind now", and the leave link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.confirm import post_confirmed
from tests.panel.factories import held_poll, invite_all, make_member, make_poll, researcher
from whatworks.core.tasks_support import make_worker
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Invitation, PanelMember, Poll
from whatworks.panel.services.invitations import (
    InviteSelection,
    invitations_send,
    leave_token,
    reminders_count,
    reminders_send,
)
from whatworks.panel.services.schedule import (
    panel_schedule_apply,
    poll_results_publish,
    poll_schedule,
)

pytestmark = pytest.mark.django_db


def test_a_scheduled_poll_opens_and_closes_when_its_times_come() -> None:
    now = timezone.now()
    poll = make_poll(status="draft")
    poll_schedule(
        actor=None,
        poll=poll,
        opens_at=now + timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        now=now,
    )
    assert panel_schedule_apply(now=now + timedelta(minutes=59)).opened == []
    report = panel_schedule_apply(now=now + timedelta(hours=1))
    assert report.opened == [poll.slug]
    poll.refresh_from_db()
    assert poll.status == "open" and poll.opened_at == now + timedelta(hours=1)
    assert panel_schedule_apply(now=now + timedelta(days=6)).closed == []
    report = panel_schedule_apply(now=now + timedelta(days=7, seconds=1))
    assert report.closed == [poll.slug] and report.held == []  # nothing to weigh: published
    poll.refresh_from_db()
    assert poll.status == "closed" and poll.results_published_at is not None


def test_a_schedule_is_checked_all_at_once() -> None:
    now = timezone.now()
    poll = make_poll(status="draft")
    with pytest.raises(PanelError) as caught:
        poll_schedule(
            actor=None,
            poll=poll,
            opens_at=now - timedelta(hours=1),
            closes_at=now - timedelta(hours=2),
            minutes=500,
            now=now,
        )
    message = caught.value.message
    assert "opening time has passed" in message
    assert "closing time has passed" in message
    assert "must close after it opens" in message
    assert "from 1 to 120" in message
    poll.refresh_from_db()
    assert poll.opens_at is None and poll.closes_at is None


@pytest.mark.django_db(transaction=True)
def test_scheduling_queues_a_check_for_each_time_which_a_worker_runs() -> None:
    now = timezone.now()
    poll = make_poll(status="draft")
    poll_schedule(
        actor=None, poll=poll, opens_at=now + timedelta(hours=2), closes_at=now + timedelta(days=1)
    )
    tasks = DBTaskResult.objects.filter(task_path__endswith="apply_schedule").order_by("run_after")
    assert [t.run_after for t in tasks] == [now + timedelta(hours=2), now + timedelta(days=1)]
    # the opening time has come: make the first task due (no waiting) and run a worker;
    # the check acts on what is due by the clock, so move the schedule too
    Poll.objects.filter(pk=poll.pk).update(opens_at=now - timedelta(seconds=1))
    DBTaskResult.objects.filter(pk=tasks[0].pk).update(run_after=now - timedelta(seconds=1))
    make_worker(worker_id="test-worker", batch=True, interval=0).run()
    poll.refresh_from_db()
    assert poll.status == "open"


def test_closing_holds_back_results_whose_weighting_did_not_converge(client: Client) -> None:
    poll = held_poll()
    assert client.get(reverse("panel:results", kwargs={"slug": poll.slug})).status_code == 404
    assert client.get(reverse("panel:pulse_detail", kwargs={"key": "caseload"})).status_code == 404
    client.force_login(researcher())
    page = client.get(reverse("panel:results", kwargs={"slug": poll.slug})).content.decode()
    assert "These results are not published" in page
    assert "Why the margins of error are wide" in page
    assert "The weighting did not converge" in page
    assert "carry as much information as a simple random sample of about" in page
    assert "Publish the results anyway" in page
    response = post_confirmed(client, reverse("panel:results_publish", kwargs={"slug": poll.slug}))
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.results_published
    client.logout()
    assert client.get(reverse("panel:results", kwargs={"slug": poll.slug})).status_code == 200
    with pytest.raises(PanelError, match="already published"):
        poll_results_publish(actor=None, poll=poll)


def test_the_close_confirmation_says_the_results_will_be_held(client: Client) -> None:
    poll = held_poll()
    Poll.objects.filter(pk=poll.pk).update(status="open", closed_at=None)
    poll.refresh_from_db()
    client.force_login(researcher())
    page = client.post(
        reverse("panel:poll_status", kwargs={"slug": poll.slug}), {"action": "close"}
    ).content.decode()
    assert "Its results will not be published yet" in page
    assert "the results are held back" in page  # the plain case: tests/core/test_confirm.py


def test_invitations_carry_the_text_the_closing_time_the_minutes_and_a_leave_link(
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    now = timezone.now()
    poll = make_poll()
    poll_schedule(
        actor=None,
        poll=poll,
        opens_at=None,
        closes_at=now + timedelta(days=10),
        minutes=4,
        invitation_text="We want to hear about supervision this winter.",
    )
    member = make_member()
    mail.outbox.clear()
    with pytest.raises(PanelError, match="more than the 0 you confirmed"):
        invitations_send(
            actor=None, poll=poll, selection=InviteSelection(mode="all"), cap_days=0, at_most=0
        )
    assert not poll.invitations.exists()
    with django_capture_on_commit_callbacks(execute=True):
        invite_all(poll)
    (message,) = mail.outbox
    body = message.body
    assert body.startswith("We want to hear about supervision this winter.")
    assert "It takes about 4 minutes." in body
    local = timezone.localtime(now + timedelta(days=10))
    assert f"It closes on {local:%A} {local.day} {local:%B %Y} at {local:%H:%M}." in body
    assert reverse("panel:leave_link", kwargs={"token": leave_token(member)}) in body
    # the leave link works without signing in, through its confirmation
    leave = reverse("panel:leave_link", kwargs={"token": leave_token(member)})
    assert post_confirmed(client, leave).status_code == 302
    assert "You have left the panel" in client.get(leave).content.decode()
    member.refresh_from_db()
    assert member.status == PanelMember.Status.LEFT
    assert client.get(leave + "x").status_code == 404


def test_a_sample_invites_exactly_the_sample(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    poll = make_poll()
    for _ in range(5):
        make_member()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        count = invitations_send(
            actor=None,
            poll=poll,
            selection=InviteSelection(mode="sample", sample_size=3, seed=1),
            cap_days=0,
            at_most=3,
        )
    assert count == 3 == len(mail.outbox) == poll.invitations.count()


def test_remind_now_and_the_automatic_reminders(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    poll = make_poll()
    for _ in range(3):
        make_member()
    invite_all(poll)
    done = poll.invitations.first()
    assert done is not None
    Invitation.objects.filter(pk=done.pk).update(disposition="complete")
    assert reminders_count(poll=poll, now_only=True) == 2
    # automatic reminders wait reminder_days since the last contact
    assert reminders_send(poll_id=poll.pk) == 0
    client.force_login(researcher())
    url = reverse("panel:remind", kwargs={"slug": poll.slug})
    first = client.post(url)
    assert "This will e-mail 2 members who have not finished" in first.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_confirmed(client, url).status_code == 302
    assert len(mail.outbox) == 2
    assert "There is still time to answer" in mail.outbox[0].body
    assert "leave the panel" in mail.outbox[0].body
    later = timezone.now() + timedelta(days=poll.reminder_days, minutes=1)
    assert reminders_send(poll_id=poll.pk, now=later) == 2  # the second of max_reminders=2
    assert reminders_send(poll_id=poll.pk, now=later + timedelta(days=30)) == 0
    assert reminders_count(poll=poll, now_only=True) == 0
    assert "Nobody is due a reminder" in client.post(url, follow=True).content.decode()


def test_the_command_applies_what_is_due_and_names_what_could_not_open() -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    due = make_poll(status="draft")
    Poll.objects.filter(pk=due.pk).update(opens_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("panel_schedule", stdout=out)
    assert "1 poll(s) opened, 0 closed." in out.getvalue()
    empty = make_poll(status="draft")
    empty.questions.all().delete()
    Poll.objects.filter(pk=empty.pk).update(opens_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(CommandError, match=f"{empty.slug}: Add at least one question"):
        call_command("panel_schedule", stdout=StringIO())
