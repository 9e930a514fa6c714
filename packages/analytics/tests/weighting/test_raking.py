"""Raking against worked examples with known answers.

Sources:

* The survey table 7 9 / 12 7 raked to census margins (rows 5 and 15, columns 10 and 10)
  from B. Klemens, "Iterative proportional fitting", *Modeling with Data*, 19 November
  2012 (https://modelingwithdata.org/arch/00000138.htm).  Raking keeps the table's odds
  ratio (Mosteller 1968; Bishop, Fienberg and Holland 1975, ch. 3), so the answer has a
  closed form: the cell r1 x c1 is the root of 59 t² + 1275 t - 2450 = 0.
* One variable: raking is post-stratification, weight = target share / sample share
  (Kalton and Flores-Cervantes 2003, "Weighting methods", J. Official Statistics 19:81).
* Three variables: raking is calibration with the raking-ratio distance (Deville and
  Särndal 1992, JASA 87:376, case 2); we solve the calibration equations with scipy and
  compare.
* Kish (1965) design effect 1 + CV² and effective sample size (Σw)²/Σw², by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from whatworks_analytics.weighting import (
    WeightingError,
    design_effect,
    effective_sample_size,
    margin_of_error,
    rake,
    weighted_share,
)


def klemens_sample() -> dict[str, np.ndarray]:
    counts = [7, 9, 12, 7]
    rows = np.repeat(["r1", "r1", "r2", "r2"], counts)
    cols = np.repeat(["c1", "c2", "c1", "c2"], counts)
    return {"row": rows, "col": cols}


KLEMENS_TARGETS = {"row": {"r1": 5 / 20, "r2": 15 / 20}, "col": {"c1": 0.5, "c2": 0.5}}


def cell_totals(sample: dict[str, np.ndarray], weights: np.ndarray) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = {}
    for r, c, w in zip(sample["row"], sample["col"], weights, strict=True):
        totals[(r, c)] = totals.get((r, c), 0.0) + float(w)
    return totals


def test_klemens_table_matches_the_closed_form() -> None:
    sample = klemens_sample()
    result = rake(sample, KLEMENS_TARGETS, population=20, tolerance=1e-12)
    t = (-1275 + math.sqrt(1275**2 + 4 * 59 * 2450)) / (2 * 59)
    expected = {("r1", "c1"): t, ("r1", "c2"): 5 - t, ("r2", "c1"): 10 - t, ("r2", "c2"): 5 + t}
    totals = cell_totals(sample, result.weights)
    for cell, value in expected.items():
        assert totals[cell] == pytest.approx(value, abs=1e-5), cell
    assert round(totals[("r1", "c1")], 4) == 1.7757
    # the odds ratio of the sample table, 49/108, is kept
    odds = (
        totals[("r1", "c1")] * totals[("r2", "c2")] / (totals[("r1", "c2")] * totals[("r2", "c1")])
    )
    assert odds == pytest.approx(49 / 108, rel=1e-5)
    assert result.converged
    assert result.max_margin_error < 1e-12
    assert result.weights.sum() == pytest.approx(20)


def test_one_variable_is_post_stratification() -> None:
    sex = np.array(["f"] * 80 + ["m"] * 20)
    result = rake({"sex": sex}, {"sex": {"f": 0.86, "m": 0.14}})
    assert result.weights[0] == pytest.approx(0.86 / 0.80)
    assert result.weights[-1] == pytest.approx(0.14 / 0.20)
    assert result.weights.mean() == pytest.approx(1.0)
    assert result.iterations == 1
    # Kish by hand: n Σw² / (Σw)²
    w = result.weights
    assert result.design_effect == pytest.approx(100 * (80 * 1.075**2 + 20 * 0.7**2) / 100**2)
    assert result.effective_sample_size == pytest.approx(100 / result.design_effect)
    assert design_effect(w) == pytest.approx(1 + w.var() / w.mean() ** 2)


def test_hand_computed_2x2_independent_sample_needs_one_sweep() -> None:
    # A sample whose cells are a product of its margins: weights are the product of the
    # two ratios.  a: 60/40 -> target 50/50; b: 30/70 (independent of a) -> 50/50.
    a = np.repeat(["a1", "a1", "a2", "a2"], [18, 42, 12, 28])
    b = np.repeat(["b1", "b2", "b1", "b2"], [18, 42, 12, 28])
    result = rake({"a": a, "b": b}, {"a": {"a1": 0.5, "a2": 0.5}, "b": {"b1": 0.5, "b2": 0.5}})
    expected = {("a1", "b1"): (0.5 / 0.6) * (0.5 / 0.3), ("a2", "b2"): (0.5 / 0.4) * (0.5 / 0.7)}
    for i in (0, 99):
        assert result.weights[i] == pytest.approx(expected[(a[i], b[i])])
    assert result.converged


def test_three_variables_match_raking_ratio_calibration() -> None:
    rng = np.random.default_rng(7)
    n = 400
    sample = {
        "region": rng.choice(["n", "m", "s"], n, p=[0.5, 0.3, 0.2]),
        "role": rng.choice(["case", "senior", "manager"], n, p=[0.3, 0.3, 0.4]),
        "sex": rng.choice(["f", "m"], n, p=[0.6, 0.4]),
    }
    targets = {
        "region": {"n": 0.3, "m": 0.3, "s": 0.4},
        "role": {"case": 0.5, "senior": 0.2, "manager": 0.3},
        "sex": {"f": 0.86, "m": 0.14},
    }
    result = rake(sample, targets, tolerance=1e-12, max_iterations=1000)
    # Deville and Särndal: w = exp(X λ), X the dummy matrix without one level per variable
    # after the first (plus intercept), solving X'w = totals.
    columns = [np.ones(n)]
    totals = [float(n)]
    for variable, shares in targets.items():
        for level in list(shares)[1:]:
            columns.append((sample[variable] == level).astype(float))
            totals.append(n * shares[level])
    x = np.column_stack(columns)
    solution = optimize.root(
        lambda lam: x.T @ np.exp(x @ lam) - np.array(totals), np.zeros(x.shape[1]), method="lm"
    )
    assert np.abs(x.T @ np.exp(x @ solution.x) - np.array(totals)).max() < 1e-8
    np.testing.assert_allclose(result.weights, np.exp(x @ solution.x), rtol=1e-8)


def test_trimming_keeps_weights_in_bounds() -> None:
    sex = np.array(["f"] * 95 + ["m"] * 5)
    role = np.array(["a", "b"] * 50)
    targets = {"sex": {"f": 0.5, "m": 0.5}, "role": {"a": 0.5, "b": 0.5}}
    untrimmed = rake({"sex": sex, "role": role}, targets)
    assert untrimmed.weights.max() > 9.0
    trimmed = rake({"sex": sex, "role": role}, targets, trim=3.0, max_iterations=50)
    assert trimmed.weights.max() <= 3.0 + 1e-9
    # the cap cannot meet the sex margin; it says so rather than pretending
    assert not trimmed.converged
    assert trimmed.max_margin_error > 0.1
    assert trimmed.design_effect < untrimmed.design_effect


def test_every_problem_is_reported_together() -> None:
    sample = {
        "region": np.array(["London", "London", "Elsewhere"]),
        "role": np.array(["a", "", "a"]),
    }
    targets = {
        "region": {"London": 0.5, "North East": 0.5},
        "role": {"a": 0.5, "b": 0.5},
        "sex": {"f": 0.5, "m": 0.5},
    }
    with pytest.raises(WeightingError) as caught:
        rake(sample, targets)
    problems = caught.value.problems
    assert any("sex: no such column" in p for p in problems)
    assert any("region: sample levels without a target: Elsewhere" in p for p in problems)
    assert any("role: 1 row(s) have no value" in p for p in problems)
    assert any("role: no respondents in target level(s) b" in p for p in problems)


def test_empty_target_level_is_reported_never_ignored() -> None:
    sample = {"region": np.array(["London"] * 3 + ["North East"])}
    targets = {"region": {"London": 0.5, "North East": 0.3, "South West": 0.2}}
    with pytest.raises(WeightingError, match="no respondents in target level"):
        rake(sample, targets)
    result = rake(sample, targets, empty_levels="report")
    assert result.problems and "South West" in result.problems[0]
    assert result.weights[-1] == pytest.approx(4 * 0.3 / 0.8)


def test_shares_must_sum_to_one_within_rounding() -> None:
    sample = {"sex": np.array(["f", "m"])}
    with pytest.raises(WeightingError, match=r"sum to 1\.5000"):
        rake(sample, {"sex": {"f": 1.0, "m": 0.5}})
    # published tables round: 0.502 + ... = 1.001 is rescaled
    result = rake(sample, {"sex": {"f": 0.5005, "m": 0.5005}})
    assert result.weights.tolist() == pytest.approx([1.0, 1.0])


def test_margin_of_error_and_weighted_share() -> None:
    # 1.96 * sqrt(0.25 / 1000) = 0.03099
    assert margin_of_error(0.5, effective_n=1000) == pytest.approx(0.030990, abs=1e-6)
    share, moe = weighted_share([True, False, False, False], [3.0, 1.0, 1.0, 1.0])
    assert share == pytest.approx(0.5)
    assert moe == pytest.approx(
        1.959964 * math.sqrt(0.25 / effective_sample_size([3, 1, 1, 1])), rel=1e-6
    )
    assert effective_sample_size([3, 1, 1, 1]) == pytest.approx(36 / 12)


def test_paired_change_matches_a_hand_computed_t_interval() -> None:
    import polars as pl

    from whatworks_analytics.weighting import paired_change

    # differences 2, 1, 3: mean 2, sd 1, se 1/sqrt(3); t(0.975, 2) = 4.302653
    frame = pl.DataFrame(
        {
            "site": ["a", "a", "a", "b"],
            "pre": [10.0, 12.0, 14.0, 5.0],
            "post": [12.0, 13.0, 17.0, 4.0],
        }
    )
    changes = {c.site: c for c in paired_change(frame)}
    a = changes["a"]
    assert a.n == 3 and a.mean_change == pytest.approx(2.0)
    assert a.ci_high - 2.0 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert math.isnan(changes["b"].ci_low)
    assert changes["all"].n == 4
