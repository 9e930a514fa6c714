"""Results in detail: the base of each question, intervals for scale questions, weighted
cross-tabs with small cells suppressed, and the pulse chart's dates and error bands."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.panel.factories import make_invitation, make_member, make_poll
from whatworks.panel import analytics, crosstabs, pulse_chart
from whatworks.panel.models import Poll, Question
from whatworks.panel.results import MIN_CELL, poll_results, pulse_series
from whatworks.panel.services.answering import response_save
from whatworks.panel.services.polls import poll_open
from whatworks.panel.services.questions import QuestionSpec, question_create
from whatworks.panel.services.schedule import poll_close
from whatworks_analytics.weighting import weighted_mean_ci

pytestmark = pytest.mark.django_db


def _poll_with_answers(n: int = 30) -> tuple[Poll, Question, Question, Question, list[float]]:
    poll = make_poll(status="draft")
    first = poll.questions.get(kind="single")
    why = question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(
            kind="single", text="Why not?", options=("Time", "Pay"), conditions=((first, "No"),)
        ),
    )
    tired = question_create(
        actor=None, poll=poll, spec=QuestionSpec(kind="scale", text="How tired are you?")
    )
    poll_open(actor=None, poll=poll)
    scores: list[float] = []
    for i in range(n):
        member = make_member(
            region="london" if i % 2 else "north-west",
            role="first-line-manager" if i % 5 == 0 else "case-holder",
        )
        invitation, _ = make_invitation(poll=poll, member=member)
        answer = "No" if i % 3 else "Yes"
        answers = {first.pk: answer, tired.pk: str(i % 11)}
        if answer == "No":
            answers[why.pk] = "Time" if i % 2 else "Pay"
        scores.append(float(i % 11))
        response_save(actor=None, invitation=invitation, answers=answers, submit=True)
    return poll, first, why, tired, scores


def test_each_question_states_its_base_and_a_scale_its_interval(client: Client) -> None:
    poll, first, why, tired, scores = _poll_with_answers()
    results = poll_results(poll)
    by_pk = {r.question.pk: r for r in results.questions}
    no = sum(1 for i in range(30) if i % 3)
    first_base, why_base = by_pk[first.pk].base, by_pk[why.pk].base
    assert first_base is not None and why_base is not None
    assert first_base.asked == 30 and first_base.everyone
    assert why_base.asked == no == why_base.answered
    interval = by_pk[tired.pk].interval
    expected = weighted_mean_ci(scores)
    assert interval is not None
    assert interval.mean == pytest.approx(expected.mean)
    assert interval.lower == pytest.approx(expected.lower)
    assert interval.upper == pytest.approx(expected.upper)
    weighted = by_pk[tired.pk].weighted_interval
    assert weighted is not None and weighted.lower < weighted.mean < weighted.upper
    poll_close(actor=None, poll=poll)
    page = client.get(reverse("panel:results", kwargs={"slug": poll.slug})).content.decode()
    assert "Asked of all 30 respondents; 30 answered." in page
    assert (
        f"Asked of the {no} who answered “No” to “Is your caseload manageable?”; {no} answered."
        in page
    )
    assert f"{expected.mean:.2f} (95% confidence interval {expected.lower:.2f} to" in page
    exported = client.get(reverse("panel:results_csv", kwargs={"slug": poll.slug}))
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    tired_row = next(r for r in rows if r[0] == "How tired are you?")
    assert tired_row[3] == f"{expected.mean:.3f}"
    assert tired_row[4] == f"{(expected.upper - expected.lower) / 2:.3f}"


def test_cross_tabs_are_weighted_and_suppress_small_groups_and_cells(client: Client) -> None:
    poll, first, _why, _tired, _ = _poll_with_answers()
    results = poll_results(poll)
    tables = {t.result.question.pk: t for t in crosstabs.crosstabs(results, "role")}
    table = tables[first.pk]
    columns = {c.label: c for c in table.columns}
    assert columns["Case holder"].n == 24 and not columns["Case holder"].suppressed
    assert columns["First line manager"].n == 6 and columns["First line manager"].suppressed
    rows = dict(table.rows)
    yes_case, no_case = rows["Yes"][0], rows["No"][0]
    assert yes_case.suppressed  # 8 case holders said Yes: fewer than MIN_CELL
    assert yes_case.count < MIN_CELL <= no_case.count and not no_case.suppressed
    assert all(cell.suppressed for cell in (rows["Yes"][1], rows["No"][1]))
    # the cell's share is the weighted share among the group's respondents
    index, values = results.answers[first.pk]
    group = np.array([results.respondents[i]["role"] == "case-holder" for i in index])
    chosen = np.array([v == "No" for v in values])
    sub = analytics.Weighting(
        weights=results.weighting.weights[index][group],
        in_scope=results.weighting.in_scope[index][group],
        result=None,
    )
    assert no_case.share == pytest.approx(analytics.share(chosen[group], sub)[0])
    poll_close(actor=None, poll=poll)
    url = reverse("panel:results", kwargs={"slug": poll.slug})
    page = client.get(url, {"by": "role"}).content.decode()
    assert "Is your caseload manageable?, by role" in page
    assert f'First line manager <span class="hint">(fewer than {MIN_CELL})' in page
    bad = client.get(url, {"by": "email"}).content.decode()
    assert "Choose what to compare answers by from the list." in bad


def test_the_pulse_series_has_dates_and_error_bands(client: Client) -> None:
    now = timezone.now()
    polls = []
    for months in (4, 1):
        poll = make_poll()
        question = poll.questions.get(kind="single")
        for i in range(12):
            invitation, _ = make_invitation(poll=poll, member=make_member())
            response_save(
                actor=None,
                invitation=invitation,
                answers={question.pk: "No" if i < 2 else "Yes"},
                submit=True,
            )
        poll_close(actor=None, poll=poll)
        Poll.objects.filter(pk=poll.pk).update(closed_at=now - timedelta(days=30 * months))
        polls.append(poll)
    series_question, points = pulse_series("caseload")
    assert series_question is not None and [p.poll.pk for p in points] == [p.pk for p in polls]
    assert all(p.moes[0] > 0 for p in points)
    chart = pulse_chart.pulse_chart(points)
    first, last = chart.marks
    assert first.x < last.x and first.low < first.share < first.high
    assert first.label == f"{points[0].poll.closed_at:%b %Y}"
    assert chart.band.count(",") == 4  # two points along the top, two back along the bottom
    page = client.get(reverse("panel:pulse_detail", kwargs={"key": "caseload"})).content
    text = page.decode()
    assert "with 95% error bands" in text and '<polygon class="band"' in text
    assert f"{100 * points[0].shares[0]:.1f}% ±{100 * points[0].moes[0]:.1f}" in text
