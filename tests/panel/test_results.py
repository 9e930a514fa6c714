"""Results: weighting through the adapter, suppression, CSV export, response rates, pulse, waves."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.confirm import post_confirmed
from tests.fixturetypes import ClientFor
from tests.panel.factories import invite_all, make_invitation, make_member, make_poll, researcher
from whatworks.panel import analytics
from whatworks.panel.models import Invitation, PanelMember, Poll, Question
from whatworks.panel.results import MIN_CELL, poll_results, pulse_series, response_rates
from whatworks.panel.services.answering import response_save
from whatworks.panel.services.invitations import InviteSelection, invitations_send, reminders_send
from whatworks.panel.services.polls import (
    poll_create,
    poll_open,
    question_add,
    scale_create,
    scale_score,
    study_create,
)
from whatworks.panel.services.schedule import poll_close
from whatworks.panel.study_results import wave_change

pytestmark = pytest.mark.django_db


def answer(poll: Poll, member: PanelMember, value: str) -> None:
    invitation, _ = make_invitation(poll=poll, member=member)
    q = poll.questions.first()
    assert q is not None
    response_save(actor=None, invitation=invitation, answers={q.pk: value}, submit=True)


def test_adapter_weights_match_the_library_and_report_out_of_scope() -> None:
    import polars as pl

    frame = pl.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "region": ["london", "london", "north-east", "london"],
            "role": ["case-holder", "senior-manager", "case-holder", "other"],
        }
    )
    weighting = analytics.weigh(frame, trim=None)
    assert np.isnan(weighting.weights[3]) and not weighting.in_scope[3]
    assert any("roles without a workforce target" in p for p in weighting.problems)
    assert any("no respondents in target level" in p for p in weighting.problems)
    assert weighting.available


def test_small_cells_are_suppressed(client: Client) -> None:
    poll = make_poll()
    for i in range(MIN_CELL + 3):
        answer(poll, make_member(region="london" if i % 2 else "north-west"), "Yes")
    for _ in range(MIN_CELL - 1):
        answer(poll, make_member(role="senior-practitioner"), "No")
    poll_close(actor=None, poll=poll)
    results = poll_results(poll)
    rows = {row.label: row for row in results.questions[0].rows}
    assert not rows["Yes"].suppressed and rows["Yes"].count == MIN_CELL + 3
    assert rows["No"].suppressed
    assert results.questions[1].suppressed  # the optional number question: nobody answered
    assert results.weighting.available
    page = client.get(reverse("panel:results", kwargs={"slug": poll.slug}))
    assert page.status_code == 200
    assert b"fewer than 10" in page.content
    assert b"<svg" in page.content and b"<desc" in page.content
    exported = client.get(reverse("panel:results_csv", kwargs={"slug": poll.slug}))
    table = list(csv.reader(io.StringIO(exported.content.decode())))
    assert table[0][0] == "question" and "weighted %" in table[0]
    no_row = next(r for r in table if r[1] == "No")
    assert no_row[2] == "" and no_row[-1] == "yes"
    yes_row = next(r for r in table if r[1] == "Yes")
    assert yes_row[2] == str(MIN_CELL + 3) and yes_row[3] == "59.1"  # 13 of 22


def test_invitations_all_filtered_and_stratified_sample_with_cap(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    for region in ("london", "north-east"):
        for role in ("case-holder", "senior-manager"):
            for _ in range(5):
                make_member(region=region, role=role)
    poll = make_poll()
    with django_capture_on_commit_callbacks(execute=True):
        count = invitations_send(
            actor=None,
            poll=poll,
            selection=InviteSelection(mode="sample", sample_size=8, seed=1),
            cap_days=7,
        )
    assert count == 8
    cells = {(i.region, i.role) for i in Invitation.objects.filter(poll=poll)}
    assert len(cells) == 4  # two from each region x role cell
    assert len(mail.outbox) == 8
    # everyone invited just now is skipped by the contact-frequency cap
    second = make_poll()
    assert (
        invitations_send(actor=None, poll=second, selection=InviteSelection(mode="all"), cap_days=7)
        == 12
    )
    third = make_poll()
    assert (
        invitations_send(actor=None, poll=third, selection=InviteSelection(mode="all"), cap_days=7)
        == 0
    )
    fourth = make_poll()
    assert (
        invitations_send(
            actor=None,
            poll=fourth,
            selection=InviteSelection(mode="filter", regions=["london"], roles=["senior-manager"]),
            cap_days=0,
        )
        == 5
    )


def test_reminders_at_most_n_and_rates(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    poll = make_poll(max_reminders=2, reminder_days=3)
    members = [make_member() for _ in range(4)]
    invite_all(poll)
    done = Invitation.objects.get(poll=poll, member=members[0])
    Invitation.objects.filter(pk=done.pk).update(disposition="complete")
    Invitation.objects.filter(poll=poll, member=members[1]).update(disposition="bounced")
    later = timezone.now() + timedelta(days=4)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(poll_id=poll.pk, now=later) == 2
    assert reminders_send(poll_id=poll.pk, now=later) == 0  # not due again yet
    assert reminders_send(poll_id=poll.pk, now=later + timedelta(days=4)) == 2
    assert reminders_send(poll_id=poll.pk, now=later + timedelta(days=8)) == 0  # at most 2
    rates = response_rates(poll)
    assert rates.invited == 4 and rates.counts["complete"] == 1 and rates.counts["bounced"] == 1
    assert rates.rr1 == pytest.approx(0.25)


def test_scale_scoring_with_reverse_items() -> None:
    scale = scale_create(
        actor=None,
        name="Wellbeing",
        slug="wb",
        options=["Never", "Sometimes", "Often"],
        items=[("Calm", False), ("Tense", True)],
        scoring="mean",
    )
    assert scale_score(scale, {"Calm": "Often", "Tense": "Never"}) == pytest.approx(3.0)
    assert scale_score(scale, {"Calm": "Never", "Tense": "Often"}) == pytest.approx(1.0)
    assert scale_score(scale, {"Calm": "Never"}) is None


def test_pulse_series_and_wave_change(client: Client) -> None:
    for share in (3, 8):
        poll = make_poll()
        for i in range(12):
            answer(poll, make_member(), "Yes" if i < share else "No")
        poll_close(actor=None, poll=poll)
    question, points = pulse_series("caseload")
    assert question is not None and len(points) == 2
    assert points[0].n == 12
    assert client.get(reverse("panel:pulse_detail", kwargs={"key": "caseload"})).status_code == 200
    assert client.get(reverse("panel:pulse_detail", kwargs={"key": "nothing"})).status_code == 404

    study = study_create(actor=None, name="Rounds", slug="rounds")
    scale = scale_create(
        actor=None,
        name="WB",
        slug="wb2",
        options=["Low", "Mid", "High"],
        items=[("Calm", False)],
        scoring="sum",
    )
    waves = []
    for wave in (1, 2):
        p = poll_create(
            actor=None, title=f"Wave {wave}", slug=f"w{wave}", study=study, wave=wave, kind="survey"
        )
        question_add(actor=None, poll=p, kind=Question.Kind.MATRIX, text="Feelings", scale=scale)
        poll_open(actor=None, poll=p)
        waves.append(p)
    members = [make_member(site="Northmoor") for _ in range(11)]
    for member in members:
        for p, value in zip(waves, ("Low", "High"), strict=True):
            invitation, _ = make_invitation(poll=p, member=member)
            q = p.questions.get()
            response_save(
                actor=None, invitation=invitation, answers={q.pk: {"Calm": value}}, submit=True
            )
    change = wave_change(study)
    assert change is not None and change.pairs == 11
    assert change.sites[0].site == "Northmoor" and change.sites[0].mean_change == pytest.approx(2.0)
    client.force_login(researcher())
    assert client.get(reverse("panel:study_detail", kwargs={"slug": "rounds"})).status_code == 200


def test_researcher_builds_and_opens_a_poll(client: Client) -> None:
    client.force_login(researcher())
    response = client.post(
        reverse("panel:poll_create"),
        {
            "title": "Supervision",
            "slug": "supervision",
            "kind": "poll",
            "max_reminders": 2,
            "reminder_days": 3,
        },
    )
    assert response.status_code == 302
    url = reverse("panel:question_add", kwargs={"slug": "supervision"})
    bad = client.post(url, {"kind": "single", "text": "Enough?", "options": "Yes"})
    assert bad.status_code == 400 and b"at least two options" in bad.content
    assert (
        client.post(
            url,
            {"kind": "likert", "text": "Enough?", "options": "Agree\nDisagree", "required": "on"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("panel:poll_status", kwargs={"slug": "supervision"}), {"action": "open"}
        ).status_code
        == 302
    )
    make_member()
    invite = post_confirmed(
        client,
        reverse("panel:invite", kwargs={"slug": "supervision"}),
        {"mode": "all", "cap_days": 0},
    )
    assert invite.status_code == 302
    assert PanelMember.objects.get().invitations.count() == 1
    scale = client.post(
        reverse("panel:scale_create"),
        {"name": "S", "slug": "s", "options": "a\nb", "items": "one\n*two", "scoring": "sum"},
    )
    assert scale.status_code == 302


@pytest.mark.parametrize("role", ["visitor", "registered", "panel-member", "researcher"])
def test_unpublished_results_are_for_researchers_only(client_for: ClientFor, role: str) -> None:
    poll = make_poll()  # open, not yet published
    response = client_for(role).get(reverse("panel:results", kwargs={"slug": poll.slug}))
    assert response.status_code == (200 if role == "researcher" else 404)


def test_margins_show_the_skew_and_suppress_small_groups() -> None:
    poll = make_poll()
    for i in range(12):
        answer(
            poll,
            make_member(region="london", role="first-line-manager" if i < 11 else "case-holder"),
            "Yes",
        )
    poll_close(actor=None, poll=poll)
    rows = {m.label: m for m in poll_results(poll).margins}
    assert rows["London"].count == 12 and not rows["London"].suppressed
    assert rows["Case holder"].suppressed and rows["Case holder"].count == 1


def test_weighting_that_cannot_meet_the_cap_says_it_did_not_converge() -> None:
    import polars as pl

    # Nine in ten respondents from London: no cap of 1.05 times the mean can bring London
    # down to its workforce share, so raking cannot converge.
    regions = ["london"] * 18 + ["north-east", "south-west"]
    roles = ["case-holder", "senior-manager"] * 10
    frame = pl.DataFrame({"id": list(range(20)), "region": regions, "role": roles})
    weighting = analytics.weigh(frame, trim=1.05)
    assert weighting.result is not None and not weighting.result.converged
    assert any(p.startswith("weighting did not converge") for p in weighting.problems)
