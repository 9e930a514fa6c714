"""The weighted mean's interval against R's survey package (``svymean`` and ``confint``).

Reference: ``tests/reference/survey_mean.R`` (the command is in its header) wrote
``survey_mean.json`` from the apistrat sample bundled with survey.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from whatworks_analytics.weighting import weighted_mean_ci

REFERENCE = Path(__file__).parents[1] / "reference"


@pytest.mark.parametrize("design", ["weighted", "plain"])
def test_mean_and_interval_match_svymean(design: str) -> None:
    expected = json.loads((REFERENCE / "survey_mean.json").read_text())[design]
    data = pl.read_csv(REFERENCE / "survey-data" / "apistrat-api00.csv")
    weights = data["pw" if design == "weighted" else "one"].to_numpy()
    result = weighted_mean_ci(data["api00"].to_numpy(), weights)
    assert result.mean == pytest.approx(expected["mean"], rel=1e-12)
    assert result.se == pytest.approx(expected["se"], rel=1e-9)
    assert result.lower == pytest.approx(expected["lower"], rel=1e-9)
    assert result.upper == pytest.approx(expected["upper"], rel=1e-9)


def test_hand_computed_case_and_edges() -> None:
    # values 1, 2, 3 with equal weights: mean 2, s = 1, se = 1/sqrt(3)
    result = weighted_mean_ci([1.0, 2.0, 3.0])
    assert result.mean == 2.0 and result.se == pytest.approx(1 / math.sqrt(3))
    assert result.upper - result.lower == pytest.approx(2 * 1.959963984540054 / math.sqrt(3))
    # NaN rows are left out; one row has no interval; none has no mean
    assert weighted_mean_ci([1.0, np.nan, 3.0], [1.0, 1.0, np.nan]).n == 1
    assert math.isnan(weighted_mean_ci([5.0]).se)
    assert math.isnan(weighted_mean_ci([]).mean)
