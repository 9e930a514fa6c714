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
from django.utils.translation import gettext as _

from whatworks.core.models import Region
from whatworks.panel import analytics
from whatworks.panel.models import (
    PROFILE_FIELDS,
    Answer,
    Invitation,
    Poll,
    Question,
    Response,
    WorkforceRole,
)
from whatworks.panel.services.answering import is_shown, poll_questions

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


#: Kinds whose results are a mean (with its interval) rather than shares of options.
NUMERIC_KINDS = frozenset({Question.Kind.NUMBER, Question.Kind.MATRIX, Question.Kind.SCALE})
#: Kinds whose answers are not published (only how many answered).
UNPUBLISHED_KINDS = frozenset({Question.Kind.TEXT, Question.Kind.DATE})


@dataclass
class Base:
    """Who a question was asked of: everyone, or those its conditions selected."""

    asked: int
    answered: int
    conditions: list[tuple[str, str]]  # (question text, answer)
    match: str = "all"

    @property
    def everyone(self) -> bool:
        return not self.conditions


@dataclass
class QuestionResult:
    question: Question
    n: int
    rows: list[OptionRow] = field(default_factory=list)
    mean: float = math.nan
    weighted_mean: float = math.nan
    suppressed: bool = False
    interval: analytics.MeanInterval | None = None
    weighted_interval: analytics.MeanInterval | None = None
    base: Base | None = None

    @property
    def is_numeric(self) -> bool:
        return self.question.kind in NUMERIC_KINDS

    @property
    def is_ranking(self) -> bool:
        return self.question.kind == Question.Kind.RANKING


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
    #: The respondents' profile snapshots, in the weights' order (for cross-tabs).
    respondents: list[dict[str, Any]] = field(default_factory=list)
    #: question id -> (positions among the respondents, answers), for cross-tabs.
    answers: dict[int, tuple[np.ndarray, list[Any]]] = field(default_factory=dict)


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


def chose(question: Question, values: list[Any], option: str) -> np.ndarray:
    """Per answer, whether it chose ``option`` (for a ranking: ranked it first)."""
    if question.kind == Question.Kind.MULTIPLE:
        return np.array([option in (v or []) for v in values], dtype=bool)
    if question.kind == Question.Kind.RANKING:
        return np.array([bool(v) and v[0] == option for v in values], dtype=bool)
    return np.array([v == option for v in values], dtype=bool)


def _choice_rows(
    question: Question, values: list[Any], index: np.ndarray, weighting: analytics.Weighting
) -> list[OptionRow]:
    rows = []
    for option in question.choice_options():
        chosen = chose(question, values, option)
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
    if question.kind in (Question.Kind.NUMBER, Question.Kind.SCALE):
        return float(value)
    if question.scale_id is not None:
        from whatworks.panel.services.polls import scale_score

        score = scale_score(question.scale, value)  # type: ignore[arg-type]
        return math.nan if score is None else score
    options = question.choice_options()
    scores = [options.index(v) + 1 for v in dict(value).values() if v in options]
    return float(np.mean(scores)) if scores else math.nan


def _asked(questions: list[Question], answers: list[dict[int, Any]]) -> dict[int, int]:
    """How many respondents each question was shown to, by its skip logic."""
    counts = dict.fromkeys((q.pk for q in questions), 0)
    for given in answers:
        shown: dict[int, Any] = {}
        for q in questions:
            if is_shown(q, shown):
                counts[q.pk] += 1
                if q.pk in given:
                    shown[q.pk] = given[q.pk]
    return counts


def poll_results(poll: Poll) -> PollResults:
    responses = list(
        Response.objects.filter(poll=poll).current().order_by("pk").values("id", *PROFILE_FIELDS)
    )
    position = {row["id"]: i for i, row in enumerate(responses)}
    if poll.audience == Poll.Audience.OUTSIDE:
        n = len(responses)
        weighting = analytics.Weighting(
            np.full(n, np.nan),
            np.zeros(n, dtype=bool),
            None,
            (_("People outside the panel answered this survey: it is not weighted."),),
        )
    else:
        weighting = analytics.weigh(
            analytics.respondents_frame(
                [{"id": r["id"], "region": r["region"], "role": r["role"]} for r in responses]
            )
        )
    answers_by_question: dict[int, tuple[np.ndarray, list[Any]]] = {}
    by_question: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    by_response: dict[int, dict[int, Any]] = defaultdict(dict)
    for response_id, question_id, value in Answer.objects.filter(
        response__poll=poll, response__status=Response.Status.COMPLETE
    ).values_list("response_id", "question_id", "value"):
        if response_id not in position:  # superseded by a later sent response
            continue
        by_question[question_id].append((position[response_id], value))
        by_response[response_id][question_id] = value
    results = []
    questions = list(poll_questions(poll))
    asked = _asked(questions, [by_response.get(row["id"], {}) for row in responses])
    for question in questions:
        given = by_question.get(question.pk, [])
        index = np.array([i for i, _ in given], dtype=np.intp)
        values = [v for _, v in given]
        answers_by_question[question.pk] = (index, values)
        result = QuestionResult(question=question, n=len(given))
        conditions = list(question.conditions.all())
        result.base = Base(
            asked=asked[question.pk],
            answered=len(given),
            conditions=[(c.depends_on.text, c.value) for c in conditions],
            match=question.match,
        )
        if result.n < MIN_CELL or question.kind in UNPUBLISHED_KINDS:
            result.suppressed = result.n < MIN_CELL
        elif question.kind in NUMERIC_KINDS:
            scores = np.array([_score(question, v) for v in values], dtype=float)
            result.interval = analytics.mean_interval(scores)
            result.mean = result.interval.mean
            if weighting.available:
                result.weighted_interval = analytics.mean_interval(scores, weighting.weights[index])
                result.weighted_mean = result.weighted_interval.mean
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
        respondents=responses,
        answers=answers_by_question,
    )


def _half_width(interval: analytics.MeanInterval | None, hidden: bool) -> str:
    """A mean's margin for the CSV: half its 95% interval, in the question's own units."""
    if hidden or interval is None or math.isnan(interval.se):
        return ""
    return f"{(interval.upper - interval.lower) / 2:.3f}"


def results_csv_rows(results: PollResults) -> list[list[Any]]:
    """Rows for the labelled CSV export (suppressed cells are blank, marked as such)."""

    def pct(value: float, hidden: bool) -> str:
        return "" if hidden or math.isnan(value) else f"{100 * value:.1f}"

    out: list[list[Any]] = []
    for qr in results.questions:
        if qr.is_numeric:
            hidden = qr.suppressed
            out.append(
                [qr.question.text, "mean", qr.n, "" if hidden else f"{qr.mean:.3f}",
                 _half_width(qr.interval, hidden),
                 "" if hidden or math.isnan(qr.weighted_mean) else f"{qr.weighted_mean:.3f}",
                 _half_width(qr.weighted_interval, hidden), "yes" if hidden else "no"]
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
    "margin of error (points; for a mean, in its units)",
    "weighted %",
    "weighted margin of error (points)",
    "suppressed",
)


@dataclass
class PulsePoint:
    poll: Poll
    n: int
    shares: list[float]
    #: The 95% margin of error of each share (NaN where the share is not shown).
    moes: list[float] = field(default_factory=list)
    weighted: bool = True


def pulse_series(key: str) -> tuple[Question | None, list[PulsePoint]]:
    """The same question across published polls, oldest first: weighted share per option
    (unweighted where weighting was not available) and its margin of error."""
    questions = list(
        Question.objects.filter(
            pulse_key=key,
            poll__status=Poll.Status.CLOSED,
            poll__results_published_at__isnull=False,
        )
        .select_related("poll")
        .order_by("poll__closed_at", "poll__pk")
    )
    points = []
    for question in questions:
        results = poll_results(question.poll)
        qr = next(r for r in results.questions if r.question.pk == question.pk)
        weighted = results.weighting.available
        shares, moes = [], []
        for row in qr.rows:
            if row.suppressed:
                shares.append(math.nan)
                moes.append(math.nan)
            elif weighted and not math.isnan(row.weighted_share):
                shares.append(row.weighted_share)
                moes.append(row.weighted_moe)
            else:
                shares.append(row.share)
                moes.append(row.moe)
        points.append(
            PulsePoint(poll=question.poll, n=qr.n, shares=shares, moes=moes, weighted=weighted)
        )
    return (questions[-1] if questions else None), points


def pulse_keys() -> list[str]:
    return sorted(
        set(
            Question.objects.filter(
                poll__status=Poll.Status.CLOSED, poll__results_published_at__isnull=False
            )
            .exclude(pulse_key="")
            .values_list("pulse_key", flat=True)
        )
    )
