"""Calibration and bounded raking against R's survey package.

Expected weights: ``tests/reference/survey.json``, written by ``tests/reference/survey.R``
(the command is in its header) with ``survey::rake()`` and ``survey::calibrate()`` on the
``apistrat`` sample bundled with survey (200 California schools with equal starting
weights), calibrated to the population shares of school type and of meeting the
school-wide growth target in ``apipop``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from whatworks_analytics.weighting import CalibrationMethod, WeightingError, calibrate, rake

REFERENCE = Path(__file__).parents[1] / "reference"


@cache
def survey() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / "survey.json").read_text(encoding="utf-8"))
    return data


def sample() -> dict[str, np.ndarray]:
    table = pl.read_csv(REFERENCE / "survey-data" / "apistrat.csv")
    return {name: table[name].to_numpy() for name in ("stype", "sch_wide")}


def targets() -> dict[str, dict[str, float]]:
    data: dict[str, dict[str, float]] = json.loads(
        (REFERENCE / "survey-data" / "apistrat-targets.json").read_text(encoding="utf-8")
    )
    return data


def expected(key: str) -> np.ndarray:
    return np.asarray(survey()[key], dtype=np.float64)


def test_raking_matches_survey_rake() -> None:
    result = rake(sample(), targets(), tolerance=1e-12, max_iterations=500)
    assert result.converged
    assert result.weights == pytest.approx(expected("rake"), rel=1e-9)


@pytest.mark.parametrize(
    ("method", "key", "bounds"),
    [
        ("linear", "linear", None),
        ("linear", "linear_bounded", "linear_bounds"),
        ("logit", "logit_bounded", "linear_bounds"),
        ("raking", "raking_bounded", "raking_bounds"),
    ],
)
def test_calibration_matches_survey_calibrate(
    method: CalibrationMethod, key: str, bounds: str | None
) -> None:
    limits = tuple(survey()[bounds]) if bounds else (-np.inf, np.inf)
    result = calibrate(
        sample(),
        targets(),
        method=method,
        bounds=limits,
        epsilon=1e-12,
        max_iterations=100,
    )
    assert result.converged and result.problems == ()
    assert result.weights == pytest.approx(expected(key), rel=1e-8)
    if bounds:
        assert limits[0] - 1e-12 <= result.weights.min()
        assert result.weights.max() <= limits[1] + 1e-9
        # The bounds bind: the unbounded weights of the same distance go outside them.
        free = expected("rake" if method == "raking" else "linear")
        assert free.min() < limits[0] or free.max() > limits[1]


def test_trimming_reaches_survey_s_bounded_raking_when_the_cap_is_the_bound() -> None:
    # rake(trim=U) caps weights at U x their mean and rakes again; survey's bounded raking
    # keeps w/d within (L, U) while calibrating.  With equal starting weights (mean 1) and
    # a lower bound that does not bind, the two are the same problem and reach the same
    # weights; with unequal starting weights they are not (documented in rake()).
    upper = survey()["raking_bounds"][1]
    trimmed = rake(sample(), targets(), trim=upper, tolerance=1e-11, max_iterations=5000)
    assert trimmed.converged
    assert trimmed.weights.max() <= upper * (1 + 1e-9)
    assert trimmed.weights == pytest.approx(expected("raking_bounded"), rel=1e-7)
    # Without the cap, raking goes above it (the bound binds).
    assert expected("rake").max() > upper


def test_bounds_that_cannot_be_met_say_weighting_did_not_converge() -> None:
    # survey::calibrate warns "Failed to converge" for these bounds (survey.json).
    assert survey()["infeasible_fails"] is True
    result = calibrate(sample(), targets(), bounds=tuple(survey()["infeasible_bounds"]))
    assert not result.converged
    assert result.problems[0].startswith("weighting did not converge")


def test_calibration_refuses_bad_options_all_at_once() -> None:
    with pytest.raises(WeightingError) as caught:
        calibrate(sample(), targets(), method="logit", bounds=(1.2, np.inf), population=-1)
    assert len(caught.value.problems) == 3
