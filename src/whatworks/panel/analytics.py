"""The panel's one adapter to ``whatworks_analytics``: ORM rows in, polars frames across.

Only this module imports the statistics.  It turns responses into a polars frame of the
weighting variables, asks the library to rake them to the workforce targets (copied into
``targets.json`` from the DfE 2019 statistics), and returns plain numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from django.utils.translation import gettext as _

from whatworks_analytics.weighting import (
    MeanInterval as MeanInterval,
)
from whatworks_analytics.weighting import (
    RakeResult,
    WeightingError,
    paired_change,
    rake,
    weighted_mean_ci,
    weighted_share,
)
from whatworks_analytics.weighting import (
    SiteChange as SiteChange,
)
from whatworks_analytics.weighting import margin_of_error as _margin_of_error

TARGETS_PATH = Path(__file__).with_name("targets.json")
WEIGHTING_VARIABLES = ("region", "role")
#: Weights are capped at this many times the mean, then raked again.
TRIM_RATIO = 5.0


@cache
def load_targets() -> dict[str, Any]:
    return dict(json.loads(TARGETS_PATH.read_text(encoding="utf-8")))


def targets_for_weighting() -> dict[str, dict[str, float]]:
    data = load_targets()
    return {name: dict(data[name]) for name in WEIGHTING_VARIABLES}


@dataclass(frozen=True)
class Weighting:
    """Weights aligned with the frame's rows; rows outside the targets' scope get NaN."""

    weights: npt.NDArray[np.float64]
    in_scope: npt.NDArray[np.bool_]
    result: RakeResult | None
    problems: tuple[str, ...] = field(default=())

    @property
    def available(self) -> bool:
        return self.result is not None

    def diagnostics(self) -> dict[str, Any]:
        return self.result.diagnostics() if self.result is not None else {}


def respondents_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """A frame of respondents (``id``, ``region``, ``role``, ...) from plain dicts."""
    if not rows:
        return pl.DataFrame(
            {"id": [], "region": [], "role": []},
            schema_overrides={"id": pl.Int64, "region": pl.Utf8, "role": pl.Utf8},
        )
    return pl.DataFrame(rows)


def weigh(frame: pl.DataFrame, *, trim: float | None = TRIM_RATIO) -> Weighting:
    """Rake the respondents in ``frame`` to the workforce margins of region and role.

    Respondents whose role has no workforce target ("other role in the sector") are outside
    the weighted estimate; that, and any region or role with no respondents, is reported.
    """
    targets = targets_for_weighting()
    n = frame.height
    problems: list[str] = []
    roles = frame["role"].to_numpy().astype(str) if n else np.array([], dtype=str)
    in_scope = np.isin(roles, list(targets["role"]))
    outside = int(n - in_scope.sum())
    if outside:
        problems.append(
            _(
                "%(outside)s respondent(s) in roles without a workforce "
                "target are left out of the weighted estimates."
            )
            % {"outside": outside}
        )
    weights = np.full(n, np.nan)
    if not in_scope.any():
        return Weighting(weights, in_scope, None, (*problems, "No respondents to weight."))
    sample = {name: frame[name].to_numpy().astype(str)[in_scope] for name in WEIGHTING_VARIABLES}
    try:
        result = rake(sample, targets, trim=trim, empty_levels="report")
    except WeightingError as error:
        return Weighting(weights, in_scope, None, (*problems, *error.problems))
    weights[in_scope] = result.weights
    return Weighting(weights, in_scope, result, (*problems, *result.problems))


def share(
    selected: npt.NDArray[np.bool_], weighting: Weighting | None = None
) -> tuple[float, float]:
    """Share and 95% margin of error, unweighted or (over in-scope rows) weighted."""
    if weighting is None:
        return weighted_share(selected)
    mask = weighting.in_scope
    return weighted_share(selected[mask], weighting.weights[mask])


def weighted_mean(values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]) -> float:
    keep = ~np.isnan(values) & ~np.isnan(weights)
    if not keep.any():
        return float("nan")
    return float(np.average(values[keep], weights=weights[keep]))


def site_changes(pairs: list[dict[str, Any]]) -> list[SiteChange]:
    """Pre/post change per site from rows of ``site``, ``pre``, ``post``."""
    if not pairs:
        return []
    return paired_change(pl.DataFrame(pairs))


def margin_of_error(*, effective_n: float, share: float = 0.5) -> float:
    """The 95% margin of error of a share from an effective sample size."""
    return _margin_of_error(share, effective_n=effective_n)


def mean_interval(
    values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64] | None = None
) -> MeanInterval:
    """The (weighted) mean and its 95% interval (rows with NaN left out)."""
    return weighted_mean_ci(values, weights)
