"""Leave-one-out and cumulative meta-analysis (metafor's ``leave1out()`` and ``cumul()``).

:func:`leave_one_out` pools the studies ``k`` times, each time without one of them;
:func:`cumulative` pools the first study, then the first two, and so on, in the order
given (sort the input first to accumulate by year or precision).  Each row carries the
pooled estimate, its test and interval, Cochran's Q and the heterogeneity of that pool,
computed exactly as :func:`whatworks_analytics.meta.pool` does.

:func:`dominant_study` says which study, if any, carries more than half of the weight of a
pooled result: the situation in which pages show the leave-one-out table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from whatworks_analytics.meta.effect_sizes import EffectSizes, InputProblem, MetaInputError
from whatworks_analytics.meta.pooling import MetaResult, Method, Test, json_ready, pool

__all__ = [
    "DOMINANT_WEIGHT",
    "SensitivityRow",
    "cumulative",
    "dominant_study",
    "leave_one_out",
]

#: A study carrying more than this percentage of the weight dominates the pooled result.
DOMINANT_WEIGHT = 50.0


@dataclass(frozen=True)
class SensitivityRow:
    """One refit: ``study`` is the study left out (leave-one-out) or the last one added
    (cumulative); ``k`` the number of studies pooled."""

    study: str
    k: int
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float
    q: float
    q_p: float
    tau2: float
    i2: float
    h2: float
    exp_estimate: float | None
    exp_ci_low: float | None
    exp_ci_high: float | None

    @classmethod
    def of(cls, study: str, result: MetaResult) -> SensitivityRow:
        return cls(
            study=study,
            k=result.k,
            estimate=result.estimate,
            se=result.se,
            z=result.z,
            p=result.p,
            ci_low=result.ci_low,
            ci_high=result.ci_high,
            q=result.q,
            q_p=result.q_p,
            tau2=result.tau2,
            i2=result.i2,
            h2=result.h2,
            exp_estimate=result.exp_estimate,
            exp_ci_low=result.exp_ci_low,
            exp_ci_high=result.exp_ci_high,
        )

    def to_dict(self) -> dict[str, object]:
        return {key: json_ready(value) for key, value in asdict(self).items()}


def _subset(effects: EffectSizes, index: list[int]) -> EffectSizes:
    return EffectSizes(
        measure=effects.measure,
        study=tuple(effects.study[i] for i in index),
        yi=effects.yi[index],
        vi=effects.vi[index],
    )


def leave_one_out(
    effects: EffectSizes,
    *,
    method: Method | str = Method.REML,
    test: Test | str = Test.Z,
    level: float = 0.95,
) -> tuple[SensitivityRow, ...]:
    """The pooled result without each study in turn (needs at least two studies)."""
    if effects.k < 2:
        raise MetaInputError([InputProblem(message="leave-one-out needs at least two studies")])
    chosen = test if effects.k >= 3 else Test.Z
    rows = []
    for left_out in range(effects.k):
        index = [i for i in range(effects.k) if i != left_out]
        result = pool(_subset(effects, index), method=method, test=chosen, level=level)
        rows.append(SensitivityRow.of(effects.study[left_out], result))
    return tuple(rows)


def cumulative(
    effects: EffectSizes,
    *,
    method: Method | str = Method.REML,
    test: Test | str = Test.Z,
    level: float = 0.95,
) -> tuple[SensitivityRow, ...]:
    """The pooled result of the first 1, 2, ..., k studies, in input order.  With
    Knapp-Hartung the first row (one study) uses the z test."""
    rows = []
    for last in range(effects.k):
        subset = _subset(effects, list(range(last + 1)))
        chosen = test if last >= 1 else Test.Z
        result = pool(subset, method=method, test=chosen, level=level)
        rows.append(SensitivityRow.of(effects.study[last], result))
    return tuple(rows)


def dominant_study(effects: EffectSizes, result: MetaResult) -> str | None:
    """The study whose weight in ``result`` exceeds :data:`DOMINANT_WEIGHT` percent."""
    if result.k < 2:
        return None
    heaviest = int(np.argmax(result.weights))
    return effects.study[heaviest] if result.weights[heaviest] > DOMINANT_WEIGHT else None
