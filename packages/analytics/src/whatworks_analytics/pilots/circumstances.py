"""In what circumstances does the model work?  Performance by subgroup of decision points.

For each dimension -- referral source, age band at the decision, prior involvement with
children's social care, and the test period (over time) -- and each of its groups::

    n, positives, base_rate = positives / n, flagged,
    precision = tp / flagged,  recall = tp / positives,  roc_auc (both classes needed)

Flags are those of the run's operating point (set per test period), so a group's flag
volume shows where the team's capacity goes.  A group with fewer than ``min_n`` rows is
marked ``too_small`` and its rates are not reported.

Precision and recall carry percentile bootstrap intervals (``precision_ci``, ``recall_ci``)
with rows resampled within the group.  Both depend on the rows only through the confusion
cells, so a replicate is one multinomial draw of the group's four cells (as in the
fairness audit, :mod:`whatworks_analytics.fairness.bootstrap`), which costs nothing next to
resampling the rows.  ROC AUC depends on every score and has no interval here.

Prior involvement (facts dated before the decision): ``none`` (no earlier referral);
``referred`` (earlier referrals, none assessed); ``assessed`` (an earlier assessment);
``s47`` (an earlier section 47 enquiry); ``plan_or_care`` (an earlier plan or care episode).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from whatworks_analytics.fairness.bootstrap import percentile_interval, resample_counts
from whatworks_analytics.pilots.metrics import _ratio, confusion, weighted_metrics

DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("source", "referral source"),
    ("age_band", "age band"),
    ("prior_involvement", "prior involvement"),
    ("period", "test period"),
)


def prior_involvement(
    *, referrals: pl.Expr, assessments: pl.Expr, s47: pl.Expr, plans_or_care: pl.Expr
) -> pl.Expr:
    """The prior-involvement category from counts of earlier facts (module docstring)."""
    return (
        pl.when(plans_or_care > 0)
        .then(pl.lit("plan_or_care"))
        .when(s47 > 0)
        .then(pl.lit("s47"))
        .when(assessments > 0)
        .then(pl.lit("assessed"))
        .when(referrals > 0)
        .then(pl.lit("referred"))
        .otherwise(pl.lit("none"))
    )


def performance_by(
    frame: pl.DataFrame,
    *,
    dimensions: Sequence[tuple[str, str]] = DIMENSIONS,
    min_n: int = 50,
    replicates: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Rows of subgroup performance; ``frame`` has ``label``, ``score``, ``flag`` and the
    dimension columns (text).  Groups are listed in order of the group name.  With
    ``replicates`` > 0, precision and recall get percentile intervals (module docstring)."""
    out: list[dict[str, Any]] = []
    for column, name in dimensions:
        if column not in frame.columns:
            continue
        cells: list[tuple[int, int, int, int]] = []
        judged: list[dict[str, Any]] = []
        for (group,), part in sorted(frame.group_by(column), key=lambda item: str(item[0][0])):
            y = part["label"].to_numpy().astype(np.int64)
            s = part["score"].to_numpy().astype(np.float64)
            f = part["flag"].to_numpy().astype(np.bool_)
            n = len(y)
            positives = int(y.sum())
            too_small = n < min_n
            row: dict[str, Any] = {
                "dimension": name,
                "group": str(group),
                "n": n,
                "positives": positives,
                "base_rate": positives / n if n else None,
                "flagged": int(f.sum()),
                "precision": None,
                "recall": None,
                "roc_auc": None,
                "precision_ci": None,
                "recall_ci": None,
                "too_small": too_small,
            }
            if not too_small:
                values = weighted_metrics(y, s, f, np.ones((1, n)))
                for metric in ("precision", "recall", "roc_auc"):
                    value = float(values[metric][0])
                    row[metric] = value if np.isfinite(value) else None
                cells.append(confusion(y, f))
                judged.append(row)
            out.append(row)
        if replicates > 0 and cells:
            _intervals(judged, cells, replicates=replicates, confidence=confidence, seed=seed)
    return out


def _intervals(
    rows: list[dict[str, Any]],
    cells: list[tuple[int, int, int, int]],
    *,
    replicates: int,
    confidence: float,
    seed: int,
) -> None:
    """Set ``precision_ci`` and ``recall_ci`` of ``rows`` from their cells' replicates."""
    draws = resample_counts(
        np.array(cells), replicates=replicates, rng=np.random.default_rng(seed)
    ).astype(np.float64)
    tp, fp, fn = draws[..., 0], draws[..., 1], draws[..., 3]
    rates = {"precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}
    for metric, values in rates.items():
        low, high = percentile_interval(values, confidence=confidence)
        for i, row in enumerate(rows):
            if row[metric] is not None and np.isfinite(low[i]) and np.isfinite(high[i]):
                row[f"{metric}_ci"] = [float(low[i]), float(high[i])]
