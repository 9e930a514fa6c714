"""Flow, attrition, baseline equivalence and the refusals of the trial analysis.

Hand-computed cases; the estimates themselves are checked against R in test_reference.py.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from whatworks_analytics.trials import (
    BalanceCategory,
    TrialInputError,
    TrialSpec,
    analyse_trial,
    hedges_j,
    ols_robust,
)


def spec(**overrides: object) -> TrialSpec:
    values: dict[str, object] = {
        "arm": "arm",
        "treatment": "T",
        "control": "C",
        "outcome": "y",
    }
    values.update(overrides)
    return TrialSpec(**values)  # type: ignore[arg-type]


def small() -> pl.DataFrame:
    # 6 treated (2 without an outcome), 4 control (1 without), 2 in another arm.
    return pl.DataFrame(
        {
            "arm": ["T"] * 6 + ["C"] * 4 + ["X"] * 2,
            "y": [3.0, 4.0, 5.0, 6.0, None, None, 1.0, 2.0, 3.0, None, 9.0, 9.0],
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.5, 2.0, 2.5, 3.0, 0.0, 0.0],
        }
    )


def test_flow_counts_randomised_analysed_and_lost_per_arm() -> None:
    result = analyse_trial(small(), spec())
    flow = result.flow
    assert (flow.treatment.randomised, flow.treatment.analysed, flow.treatment.lost) == (6, 4, 2)
    assert (flow.control.randomised, flow.control.analysed, flow.control.lost) == (4, 3, 1)
    assert flow.other_arms == 2
    assert flow.overall_attrition == pytest.approx(3 / 10)
    assert flow.differential_attrition == pytest.approx(2 / 6 - 1 / 4)
    assert (result.n, result.n_treatment, result.n_control) == (7, 4, 3)


def test_difference_in_means_without_covariates() -> None:
    result = analyse_trial(small(), spec())
    # Treated outcomes 3..6 (mean 4.5); control 1, 2, 3 (mean 2).
    assert result.estimate == pytest.approx(2.5)
    # HC2 with the arm alone is the Neyman variance s1²/n1 + s0²/n0; df = n - 2.
    expected_se = math.sqrt(np.var([3, 4, 5, 6], ddof=1) / 4 + np.var([1, 2, 3], ddof=1) / 3)
    assert result.se == pytest.approx(expected_se)
    assert result.df == 5
    sd = math.sqrt((3 * np.var([3, 4, 5, 6], ddof=1) + 2 * np.var([1, 2, 3], ddof=1)) / 5)
    assert result.hedges_g is not None
    assert result.hedges_g.estimate == pytest.approx((1 - 3 / (4 * 7 - 9)) * 2.5 / sd)


def test_a_missing_covariate_counts_as_lost() -> None:
    frame = small().with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("x")).alias("x")
    )
    result = analyse_trial(frame, spec(covariates=("x",)))
    assert result.flow.treatment.analysed == 3
    assert result.flow.treatment.lost == 3


def test_hedges_correction() -> None:
    assert hedges_j(20) == pytest.approx(1 - 3 / 71)


@pytest.mark.parametrize(
    ("shift", "adjusted", "category"),
    [
        (0.0, False, BalanceCategory.SATISFIED),
        (0.15, False, BalanceCategory.REQUIRES_ADJUSTMENT),
        (0.15, True, BalanceCategory.SATISFIED_BY_ADJUSTMENT),
        (0.40, True, BalanceCategory.NOT_SATISFIED),
    ],
)
def test_baseline_equivalence_follows_the_wwc_thresholds(
    shift: float, adjusted: bool, category: BalanceCategory
) -> None:
    rng = np.random.default_rng(3)
    n = 400
    base = rng.standard_normal(n)
    base = (base - base.mean()) / base.std(ddof=1)
    arm = np.array(["T", "C"] * (n // 2))
    # Make each arm's baseline exactly standardised, then shift the treated arm.
    values = base.copy()
    for label in ("T", "C"):
        mask = arm == label
        part = values[mask]
        values[mask] = (part - part.mean()) / part.std(ddof=1)
    values[arm == "T"] += shift
    frame = pl.DataFrame({"arm": arm, "y": rng.standard_normal(n), "b": values})
    result = analyse_trial(frame, spec(covariates=("b",) if adjusted else (), baseline=("b",)))
    (item,) = result.baseline
    assert item.effect_size == pytest.approx(hedges_j(n) * shift, abs=1e-12)
    assert item.category == category


def test_a_binary_baseline_uses_the_cox_index() -> None:
    arm = ["T"] * 10 + ["C"] * 10
    girl = [1] * 6 + [0] * 4 + [1] * 4 + [0] * 6
    frame = pl.DataFrame({"arm": arm, "y": list(range(20)), "girl": girl})
    (item,) = analyse_trial(frame, spec(baseline=("girl",))).baseline
    log_or = math.log(0.6 / 0.4) - math.log(0.4 / 0.6)
    assert item.measure == "cox_index"
    assert item.effect_size == pytest.approx(hedges_j(20) * log_or / 1.65)
    assert item.category == BalanceCategory.NOT_SATISFIED


def test_every_problem_is_listed_at_once() -> None:
    frame = pl.DataFrame({"arm": ["T", "C", None], "y": ["a", "b", "c"]})
    with pytest.raises(TrialInputError) as caught:
        analyse_trial(frame, spec(control="D", covariates=("age",), cluster="team"))
    problems = caught.value.problems
    assert any("no column 'age'" in p for p in problems)
    assert any("no column 'team'" in p for p in problems)
    assert any("'y' must hold numbers" in p for p in problems)
    assert any("no value in the arm column" in p for p in problems)
    assert any("control value 'D'" in p for p in problems)


def test_a_declared_binary_outcome_must_be_zero_or_one() -> None:
    frame = pl.DataFrame({"arm": ["T", "T", "C", "C"], "y": [0, 2, 1, 0]})
    with pytest.raises(TrialInputError, match="declared binary"):
        analyse_trial(frame, spec(outcome_type="binary"))


def test_an_arm_needs_two_analysed_participants() -> None:
    frame = pl.DataFrame({"arm": ["T", "T", "C", "C"], "y": [1.0, None, 1.0, 2.0]})
    with pytest.raises(TrialInputError, match="at least two analysed"):
        analyse_trial(frame, spec())


def test_collinear_covariates_are_refused() -> None:
    frame = pl.DataFrame({"arm": ["T", "C"] * 5, "y": list(range(10)), "x": [1.0] * 10})
    with pytest.raises(TrialInputError, match="collinear"):
        analyse_trial(frame, spec(covariates=("x",)))


def test_one_sided_p_values() -> None:
    two = analyse_trial(small(), spec())
    greater = analyse_trial(small(), spec(alternative="greater"))
    less = analyse_trial(small(), spec(alternative="less"))
    assert greater.p == pytest.approx(two.p / 2)
    assert less.p == pytest.approx(1 - two.p / 2)


def test_cr2_with_singleton_clusters_is_hc2() -> None:
    # Bell and McCaffrey's CR2 reduces to HC2 when every cluster has one member.
    rng = np.random.default_rng(11)
    n = 60
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.standard_normal(n)])
    y = x @ [1.0, 0.5, 0.3] + rng.standard_normal(n) * (1 + x[:, 2] ** 2)
    hc2 = ols_robust(y, x)
    cr2 = ols_robust(y, x, clusters=np.arange(n))
    assert cr2.se == pytest.approx(hc2.se, rel=1e-10)


def test_cluster_trial_estimates_the_icc() -> None:
    rng = np.random.default_rng(5)
    clusters = np.repeat(np.arange(40), 25)
    arm = np.where(clusters % 2 == 0, "T", "C")
    effect = rng.standard_normal(40)[clusters] * math.sqrt(0.2)
    y = effect + rng.standard_normal(clusters.size) * math.sqrt(0.8)
    frame = pl.DataFrame({"arm": arm, "y": y, "team": clusters})
    result = analyse_trial(frame, spec(cluster="team"))
    assert result.icc is not None and 0.05 < result.icc < 0.4
    assert result.flow.treatment.clusters_randomised == 20
    assert result.mdes_at_randomisation is not None
