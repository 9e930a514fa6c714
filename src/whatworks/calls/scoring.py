"""Weighted totals of reviews and the summary of an application's reviews.

A review's weighted total is on a 0 to 100 scale: each criterion's score as a share of its
highest score, weighted by the criterion's weight, over the sum of the weights::

    total = 100 * Σ wᵢ·sᵢ/mᵢ / Σ wᵢ

The summary gives the number of reviews, the mean of their weighted totals, the spread (the
range, highest minus lowest) and flags disagreement when that range is more than
:data:`DISAGREEMENT_POINTS` points: two reviewers a quarter of the scale apart should talk
before a decision rests on their average.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from whatworks.calls.models import Criterion, Review

#: Reviews whose weighted totals differ by more than this (on 0-100) disagree.
DISAGREEMENT_POINTS = 25.0


def weighted_total(scores: dict[str, int], criteria: Sequence[Criterion]) -> float | None:
    """``scores`` (criterion id as text -> score) on 0-100, or None without criteria."""
    weights = sum(c.weight for c in criteria)
    if not weights:
        return None
    points = sum(c.weight * int(scores.get(str(c.pk), 0)) / c.max_score for c in criteria)
    return 100.0 * points / weights


@dataclass(frozen=True)
class ReviewSummary:
    count: int
    mean: float | None
    spread: float | None
    disagreement: bool


def summarise(reviews: Iterable[Review], criteria: Sequence[Criterion]) -> ReviewSummary:
    totals = [t for r in reviews if (t := weighted_total(r.scores, criteria)) is not None]
    if not totals:
        return ReviewSummary(count=0, mean=None, spread=None, disagreement=False)
    spread = max(totals) - min(totals)
    return ReviewSummary(
        count=len(totals),
        mean=sum(totals) / len(totals),
        spread=spread,
        disagreement=len(totals) > 1 and spread > DISAGREEMENT_POINTS,
    )
