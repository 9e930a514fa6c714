"""Waves of a study: pair each member's answers across waves by pseudonym; change per site."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from whatworks.panel import analytics
from whatworks.panel.models import Answer, Poll, Question, Response, Study
from whatworks.panel.results import MIN_CELL, _score


@dataclass
class WaveChange:
    pre: Poll
    post: Poll
    measure: str
    pairs: int
    sites: list[analytics.SiteChange] = field(default_factory=list)
    suppressed_sites: int = 0


def _scores(poll: Poll, question: Question) -> dict[str, tuple[str, float]]:
    """pseudonym -> (site, score) for complete responses."""
    out = {}
    for pseudonym, site, value in Answer.objects.filter(
        question=question, response__status=Response.Status.COMPLETE
    ).values_list("response__pseudonym", "response__site", "value"):
        score = _score(question, value)
        if not math.isnan(score):
            out[pseudonym] = (site or "not given", score)
    return out


def _measure(poll: Poll) -> dict[str, Question]:
    found = {}
    for q in poll.questions.select_related("scale").prefetch_related("scale__items"):
        if q.kind == Question.Kind.MATRIX and q.scale_id is not None:
            found[f"scale:{q.scale_id}"] = q
        elif q.kind == Question.Kind.NUMBER:
            found[f"text:{q.text}"] = q
    return found


def wave_change(study: Study) -> WaveChange | None:
    """First against last wave, on the first measure both share (a scale, or a number)."""
    waves = list(study.waves.order_by("wave"))
    if len(waves) < 2:
        return None
    pre, post = waves[0], waves[-1]
    before, after = _measure(pre), _measure(post)
    common = [key for key in before if key in after]
    if not common:
        return None
    q_pre, q_post = before[common[0]], after[common[0]]
    first, second = _scores(pre, q_pre), _scores(post, q_post)
    pairs = [
        {"site": first[p][0], "pre": first[p][1], "post": second[p][1]}
        for p in sorted(first.keys() & second.keys())
    ]
    changes = analytics.site_changes(pairs)
    shown = [c for c in changes if c.n >= MIN_CELL]
    return WaveChange(
        pre=pre,
        post=post,
        measure=q_pre.scale.name if q_pre.scale is not None else q_pre.text,
        pairs=len(pairs),
        sites=shown,
        suppressed_sites=len(changes) - len(shown),
    )
