"""Results of polls: unweighted and weighted side by side, small cells suppressed.

Reads only (no writes).  Numbers come from :mod:`whatworks.panel.analytics`; this module
gathers the rows, suppresses cells with fewer than :data:`MIN_CELL` respondents, and shapes
what the pages, the CSV export and the pulse series show.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import TextChoices

from whatworks.core.models import Region
from whatworks.panel import analytics
from whatworks.panel.models import Answer, Invitation, Poll, Question, Response, WorkforceRole

#: Fewer respondents than this in a cell (or answering a question) are not shown.
MIN_CELL = 10
CHART_WIDTH = 250  # px for a share of 100%: room for its value after it, in 310 px


@dataclass
class OptionRow:
    label: str
    count: int
    share: float = math.nan
    moe: float = math.nan
    weighted_share: float = math.nan
    weighted_moe: float = math.nan
    suppressed: bool = False

    @property
    def bar(self) -> int:
        return 0 if self.suppressed or math.isnan(self.share) else round(self.share * CHART_WIDTH)

    @property
    def weighted_bar(self) -> int:
        if self.suppressed or math.isnan(self.weighted_share):
            return 0
        return round(self.weighted_share * CHART_WIDTH)


@dataclass
class QuestionResult:
    question: Question
    n: int
    rows: list[OptionRow] = field(default_factory=list)
    mean: float = math.nan
    weighted_mean: float = math.nan
    suppressed: bool = False

    @property
    def is_numeric(self) -> bool:
        return self.question.kind in (Question.Kind.NUMBER, Question.Kind.MATRIX)


@dataclass
class Rates:
    invited: int
    counts: dict[str, int]
    rr1: float
    cells: list[tuple[str, str, int, int, float]]


@dataclass
class PollResults:
    poll: Poll
    n: int
    questions: list[QuestionResult]
    weighting: analytics.Weighting
    rates: Rates
    margins: list[MarginRow] = field(default_factory=list)


def _label(choices: type[TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@dataclass
class MarginRow:
    variable: str
    label: str
    target: float
    unweighted: float
    weighted: float
    count: int
    suppressed: bool


def margin_rows(weighting: analytics.Weighting) -> list[MarginRow]:
    """Who answered against the workforce, per level (levels under MIN_CELL suppressed)."""
    if weighting.result is None:
        return []
    kinds: dict[str, type[TextChoices]] = {"region": Region, "role": WorkforceRole}
    return [
        MarginRow(
            variable=str(m.variable),
            label=_label(kinds[m.variable], m.level) if m.variable in kinds else m.level,
            target=m.target,
            unweighted=m.unweighted,
            weighted=m.weighted,
            count=m.count,
            suppressed=m.count < MIN_CELL,
        )
        for m in weighting.result.margins
    ]


def response_rates(poll: Poll) -> Rates:
    """AAPOR RR1: complete interviews over all invited (every member is eligible)."""
    counts = Counter(poll.invitations.values_list("disposition", flat=True))
    invited = sum(counts.values())
    complete = counts.get(Invitation.Disposition.COMPLETE, 0)
    per_cell: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for region, role, disposition in poll.invitations.values_list("region", "role", "disposition"):
        cell = per_cell[(region, role)]
        cell[0] += 1
        cell[1] += disposition == Invitation.Disposition.COMPLETE
    cells = [
        (_label(Region, region), _label(WorkforceRole, role), n, c, c / n if n else math.nan)
        for (region, role), (n, c) in sorted(per_cell.items())
    ]
    return Rates(
        invited=invited,
        counts={d.value: counts.get(d.value, 0) for d in Invitation.Disposition},
        rr1=complete / invited if invited else math.nan,
        cells=cells,
    )


def _choice_rows(
    question: Question, values: list[Any], index: np.ndarray, weighting: analytics.Weighting
) -> list[OptionRow]:
    rows = []
    for option in question.choice_options():
        if question.kind == Question.Kind.MULTIPLE:
            chosen = np.array([option in (v or []) for v in values], dtype=bool)
        else:
            chosen = np.array([v == option for v in values], dtype=bool)
        row = OptionRow(label=option, count=int(chosen.sum()))
        if row.count < MIN_CELL:
            row.suppressed = True
        else:
            row.share, row.moe = analytics.share(chosen)
            sub = _subset(weighting, index)
            if sub is not None:
                row.weighted_share, row.weighted_moe = analytics.share(chosen, sub)
        rows.append(row)
    return rows


def _subset(weighting: analytics.Weighting, index: np.ndarray) -> analytics.Weighting | None:
    if not weighting.available:
        return None
    return analytics.Weighting(
        weights=weighting.weights[index], in_scope=weighting.in_scope[index], result=None
    )


def _score(question: Question, value: Any) -> float:
    if question.kind == Question.Kind.NUMBER:
        return float(value)
    if question.scale_id is not None:
        from whatworks.panel.services import scale_score

        score = scale_score(question.scale, value)  # type: ignore[arg-type]
        return math.nan if score is None else score
    options = question.choice_options()
    scores = [options.index(v) + 1 for v in dict(value).values() if v in options]
    return float(np.mean(scores)) if scores else math.nan


def poll_results(poll: Poll) -> PollResults:
    responses = list(
        Response.objects.filter(poll=poll, status=Response.Status.COMPLETE)
        .order_by("pk")
        .values("id", "region", "role")
    )
    position = {row["id"]: i for i, row in enumerate(responses)}
    weighting = analytics.weigh(analytics.respondents_frame(responses))
    by_question: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for response_id, question_id, value in Answer.objects.filter(
        response__poll=poll, response__status=Response.Status.COMPLETE
    ).values_list("response_id", "question_id", "value"):
        by_question[question_id].append((position[response_id], value))
    results = []
    questions = poll.questions.select_related("scale").prefetch_related("scale__items")
    for question in questions:
        given = by_question.get(question.pk, [])
        index = np.array([i for i, _ in given], dtype=np.intp)
        values = [v for _, v in given]
        result = QuestionResult(question=question, n=len(given))
        if result.n < MIN_CELL or question.kind == Question.Kind.TEXT:
            result.suppressed = result.n < MIN_CELL
        elif question.kind in (Question.Kind.NUMBER, Question.Kind.MATRIX):
            scores = np.array([_score(question, v) for v in values], dtype=float)
            keep = ~np.isnan(scores)
            result.mean = float(scores[keep].mean()) if keep.any() else math.nan
            if weighting.available:
                result.weighted_mean = analytics.weighted_mean(scores, weighting.weights[index])
        else:
            result.rows = _choice_rows(question, values, index, weighting)
        results.append(result)
    return PollResults(
        poll=poll,
        n=len(responses),
        questions=results,
        weighting=weighting,
        rates=response_rates(poll),
        margins=margin_rows(weighting),
    )


def results_csv_rows(results: PollResults) -> list[list[Any]]:
    """Rows for the labelled CSV export (suppressed cells are blank, marked as such)."""

    def pct(value: float, hidden: bool) -> str:
        return "" if hidden or math.isnan(value) else f"{100 * value:.1f}"

    out: list[list[Any]] = []
    for qr in results.questions:
        if qr.is_numeric:
            hidden = qr.suppressed
            out.append(
                [qr.question.text, "mean", qr.n, "" if hidden else f"{qr.mean:.3f}", "",
                 "" if hidden or math.isnan(qr.weighted_mean) else f"{qr.weighted_mean:.3f}", "",
                 "yes" if hidden else "no"]
            )  # fmt: skip
            continue
        for row in qr.rows:
            hidden = row.suppressed or qr.suppressed
            out.append(
                [qr.question.text, row.label, "" if hidden else row.count,
                 pct(row.share, hidden), pct(row.moe, hidden),
                 pct(row.weighted_share, hidden), pct(row.weighted_moe, hidden),
                 "yes" if hidden else "no"]
            )  # fmt: skip
    return out


CSV_HEADER = (
    "question",
    "answer",
    "respondents",
    "unweighted %",
    "margin of error (points)",
    "weighted %",
    "weighted margin of error (points)",
    "suppressed",
)


@dataclass
class PulsePoint:
    poll: Poll
    n: int
    shares: list[float]


def pulse_series(key: str) -> tuple[Question | None, list[PulsePoint]]:
    """The same question across closed polls, oldest first: weighted share per option."""
    questions = list(
        Question.objects.filter(pulse_key=key, poll__status=Poll.Status.CLOSED)
        .select_related("poll")
        .order_by("poll__closed_at", "poll__pk")
    )
    points = []
    for question in questions:
        results = poll_results(question.poll)
        qr = next(r for r in results.questions if r.question.pk == question.pk)
        shares = [
            math.nan if row.suppressed else row.weighted_share
            if not math.isnan(row.weighted_share) else row.share
            for row in qr.rows
        ]  # fmt: skip
        points.append(PulsePoint(poll=question.poll, n=qr.n, shares=shares))
    return (questions[-1] if questions else None), points


def pulse_keys() -> list[str]:
    return sorted(
        set(
            Question.objects.filter(poll__status=Poll.Status.CLOSED)
            .exclude(pulse_key="")
            .values_list("pulse_key", flat=True)
        )
    )
