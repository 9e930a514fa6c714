"""Pooling: metafor's published results, hand-computed cases, properties and validation.

Sources of the published values (all produced by metafor's rma() with its defaults):

* BCG_TESTS -- wviechtb/metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r
  (rma.uni() compared with Stata's metan on dat.bcg).
* BCG_CONFINT -- wviechtb/metafor tests/testthat/test_misc_confint.r.
* BCG_MANUAL -- metafor manual page dat.bcg, example output of rma(yi, vi, data=dat) and
  predict(res, transf=exp) (wviechtb/metafor docs/reference/dat.bcg.html; same output on
  https://wviechtb.github.io/metafor/reference/dat.bcg.html).
* NORMAND_MANUAL -- metafor manual page dat.normand1999, example output
  (wviechtb/metafor docs/reference/dat.normand1999.html).
* NORMAND_SUBSET -- wviechtb/metafor tests/testthat/test_misc_rma_uni.r
  ("rma() works directly with input for measure='SMD'").
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from whatworks_analytics.meta import (
    EffectSizes,
    MetaConvergenceError,
    MetaInputError,
    effect_sizes_from_frame,
    generic,
    meta_analyse,
    pool,
    tau2_dersimonian_laird,
    tau2_reml,
)

DATA = Path(__file__).parent / "data"


def assert_dp(actual: float | None, expected: float, decimals: int = 4) -> None:
    """Equal to a value published with ``decimals`` decimal places."""
    assert actual is not None
    assert abs(actual - expected) <= 0.5 * 10**-decimals + 1e-12, (actual, expected)


def bcg(measure: str) -> EffectSizes:
    return effect_sizes_from_frame(pl.read_csv(DATA / "bcg.csv"), measure=measure)


def normand() -> pl.DataFrame:
    return pl.read_csv(DATA / "normand1999.csv")


# --------------------------------------------------------------------------- dat.bcg, RR


def test_bcg_rr_fixed_effect() -> None:
    # BCG_TESTS, "results match (FE model, measure='RR')".
    result = pool(bcg("RR"), method="FE")
    assert result.k == 13
    assert_dp(result.estimate, -0.4303)
    assert_dp(result.ci_low, -0.5097)
    assert_dp(result.ci_high, -0.3509)
    assert_dp(result.z, -10.6247)
    assert_dp(result.q, 152.2330)
    assert_dp(result.exp_estimate, 0.6503)
    assert_dp(result.exp_ci_low, 0.6007)
    assert_dp(result.exp_ci_high, 0.7040)
    assert result.tau2 == 0.0
    assert result.pi_low is None and result.pi_high is None


def test_bcg_rr_dersimonian_laird() -> None:
    # BCG_TESTS, "results match (RE model w/ DL estimator, measure='RR')", and BCG_CONFINT
    # (H^2 = 12.6861 from confint(res)).
    result = pool(bcg("RR"), method="DL")
    assert_dp(result.estimate, -0.7141)
    assert_dp(result.ci_low, -1.0644)
    assert_dp(result.ci_high, -0.3638)
    assert_dp(result.z, -3.9952)
    assert_dp(result.tau2, 0.3088)
    assert_dp(result.i2, 92.1173)
    assert_dp(result.h2, 12.6861)
    assert_dp(result.exp_estimate, 0.4896)
    assert_dp(result.exp_ci_low, 0.3449)
    assert_dp(result.exp_ci_high, 0.6950)


def test_bcg_rr_reml() -> None:
    # BCG_MANUAL: tau^2 0.3132, tau 0.5597, I^2 92.22%, H^2 12.86, Q(df = 12) = 152.2330,
    # estimate -0.7145, se 0.1798, zval -3.9744, pval < .0001, ci -1.0669 to -0.3622;
    # predict(transf=exp): 0.4894 [0.3441, 0.6962].  The prediction interval is
    # predict(res, pi.type="riley", transf=exp), t with k - 2 df: 0.1342 to 1.7848
    # (tests/reference/metafor.json; metafor's default z-based interval is 0.1546 to 1.5490).
    result = pool(bcg("RR"), method="REML")
    assert result.method == "REML" and result.measure == "RR"
    assert_dp(result.tau2, 0.3132)
    assert_dp(result.tau, 0.5597)
    assert_dp(result.i2, 92.22, decimals=2)
    assert_dp(result.h2, 12.86, decimals=2)
    assert_dp(result.q, 152.2330)
    assert result.q_df == 12
    assert result.q_p < 1e-4
    assert_dp(result.estimate, -0.7145)
    assert_dp(result.se, 0.1798)
    assert_dp(result.z, -3.9744)
    assert result.p < 1e-4
    assert_dp(result.ci_low, -1.0669)
    assert_dp(result.ci_high, -0.3622)
    assert_dp(result.exp_estimate, 0.4894)
    assert_dp(result.exp_ci_low, 0.3441)
    assert_dp(result.exp_ci_high, 0.6962)
    assert_dp(result.exp_pi_low, 0.1342)
    assert_dp(result.exp_pi_high, 1.7848)
    assert result.iterations is not None and result.iterations <= 100


def test_bcg_prediction_interval_formula() -> None:
    # Higgins, Thompson & Spiegelhalter (2009): t with k - 2 = 11 degrees of freedom.
    result = pool(bcg("RR"), method="REML")
    assert result.pi_df == 11
    half = stats.t.ppf(0.975, 11) * math.sqrt(result.se**2 + result.tau2)
    assert result.pi_low == pytest.approx(result.estimate - half, rel=1e-12)
    assert result.pi_high == pytest.approx(result.estimate + half, rel=1e-12)


# --------------------------------------------------------------------------- dat.bcg, OR


def test_bcg_or_fixed_effect() -> None:
    # BCG_TESTS, "results match (FE model, measure='OR')".
    result = pool(bcg("OR"), method="FE")
    assert_dp(result.estimate, -0.4361)
    assert_dp(result.ci_low, -0.5190)
    assert_dp(result.ci_high, -0.3533)
    assert_dp(result.z, -10.3190)
    assert_dp(result.q, 163.1649)
    assert_dp(result.exp_estimate, 0.6465)
    assert_dp(result.exp_ci_low, 0.5951)
    assert_dp(result.exp_ci_high, 0.7024)


def test_bcg_or_dersimonian_laird() -> None:
    # BCG_TESTS, "results match (RE model w/ DL estimator, measure='OR')".
    result = pool(bcg("OR"), method="DL")
    assert_dp(result.estimate, -0.7474)
    assert_dp(result.ci_low, -1.1242)
    assert_dp(result.ci_high, -0.3706)
    assert_dp(result.z, -3.8873)
    assert_dp(result.tau2, 0.3663)
    assert_dp(result.i2, 92.6455)
    assert_dp(result.exp_estimate, 0.4736)
    assert_dp(result.exp_ci_low, 0.3249)
    assert_dp(result.exp_ci_high, 0.6903)


# --------------------------------------------------------------------------- dat.normand1999


def test_normand_smd_reml() -> None:
    # NORMAND_MANUAL, rma(measure="SMD", ...): tau^2 0.7908, tau 0.8893, I^2 95.49%,
    # H^2 22.20, Q(df = 8) = 123.7293, estimate -0.5371, se 0.3087, zval -1.7401,
    # pval 0.0818, ci -1.1421 to 0.0679.
    result = pool(effect_sizes_from_frame(normand(), measure="SMD"))
    assert_dp(result.tau2, 0.7908)
    assert_dp(result.tau, 0.8893)
    assert_dp(result.i2, 95.49, decimals=2)
    assert_dp(result.h2, 22.20, decimals=2)
    assert_dp(result.q, 123.7293)
    assert_dp(result.estimate, -0.5371)
    assert_dp(result.se, 0.3087)
    assert_dp(result.z, -1.7401)
    assert_dp(result.p, 0.0818)
    assert_dp(result.ci_low, -1.1421)
    assert_dp(result.ci_high, 0.0679)
    assert result.exp_estimate is None


def test_normand_smd_subset_reml_tau2() -> None:
    # NORMAND_SUBSET: studies 1-4, REML tau^2 = 1.0090.
    result = pool(effect_sizes_from_frame(normand().head(4), measure="SMD"), method="REML")
    assert_dp(result.tau2, 1.0090)


def test_normand_mean_difference_as_generic_reml() -> None:
    # NORMAND_MANUAL, escalc(measure="MD") then rma(yi, vi): yi = m1 - m2 and
    # vi = sd1^2/n1 + sd2^2/n2; tau^2 684.6462, I^2 98.97%, H^2 97.21, Q 238.9158,
    # estimate -15.1060, se 8.9466, zval -1.6885, pval 0.0913, ci -32.6409 to 2.4289.
    frame = normand()
    yi = (frame["m1"] - frame["m2"]).to_numpy()
    vi = (frame["sd1"] ** 2 / frame["n1"] + frame["sd2"] ** 2 / frame["n2"]).to_numpy()
    result = meta_analyse(yi, vi, method="REML")
    assert_dp(result.tau2, 684.6462)
    assert_dp(result.i2, 98.97, decimals=2)
    assert_dp(result.h2, 97.21, decimals=2)
    assert_dp(result.q, 238.9158)
    assert_dp(result.estimate, -15.1060)
    assert_dp(result.se, 8.9466)
    assert_dp(result.z, -1.6885)
    assert_dp(result.p, 0.0913)
    assert_dp(result.ci_low, -32.6409)
    assert_dp(result.ci_high, 2.4289)


# --------------------------------------------------------------------------- by hand


def test_two_studies_by_hand() -> None:
    # yi = (0, 2), vi = (1, 1): FE mean 1, se sqrt(1/2), Q = 1 + 1 = 2 on 1 df.
    fixed = meta_analyse([0.0, 2.0], [1.0, 1.0], method="FE")
    assert fixed.estimate == pytest.approx(1.0)
    assert fixed.se == pytest.approx(math.sqrt(0.5))
    assert fixed.q == pytest.approx(2.0)
    assert fixed.q_p == pytest.approx(stats.chi2.sf(2.0, 1))
    assert fixed.i2 == pytest.approx(50.0)  # (Q - df) / Q
    assert fixed.h2 == pytest.approx(2.0)  # Q / df
    assert fixed.weights == pytest.approx((50.0, 50.0))
    # DL: c = sum(w) - sum(w^2)/sum(w) = 2 - 1 = 1, tau2 = (Q - 1) / c = 1.
    dl = meta_analyse([0.0, 2.0], [1.0, 1.0], method="DL")
    assert dl.tau2 == pytest.approx(1.0)
    assert dl.se == pytest.approx(1.0)  # 1 / sqrt(2 * 1/2)
    # s2 = (k-1) sum(w) / (sum(w)^2 - sum(w^2)) = 2 / 2 = 1, I2 = 100 * 1 / (1 + 1).
    assert dl.i2 == pytest.approx(50.0)
    assert dl.h2 == pytest.approx(2.0)
    # Two studies: no prediction interval (t with k - 2 = 0 degrees of freedom), and why.
    assert dl.pi_low is None and dl.pi_high is None and dl.pi_df is None
    assert dl.pi_note == "a prediction interval needs at least three studies"
    assert dl.z == pytest.approx(1.0)
    assert dl.p == pytest.approx(2 * stats.norm.sf(1.0))
    # With equal variances the REML estimate is var(yi) - v = 2 - 1 = 1.
    assert tau2_reml([0.0, 2.0], [1.0, 1.0]).tau2 == pytest.approx(1.0, abs=1e-6)


def test_no_heterogeneity_gives_zero_tau2() -> None:
    # Q = 0.5 < df: DL truncates at 0, REML steps down to 0, I2 = 0 and H2 = 1.
    for method in ("DL", "REML"):
        result = meta_analyse([0.0, 1.0], [1.0, 1.0], method=method)
        assert result.tau2 == pytest.approx(0.0, abs=1e-6)
        assert result.i2 == pytest.approx(0.0, abs=1e-4)
        assert result.estimate == pytest.approx(0.5)
    assert meta_analyse([0.0, 1.0], [1.0, 1.0], method="FE").i2 == 0.0


def test_single_study() -> None:
    for method in ("FE", "DL", "REML"):
        result = meta_analyse([0.3], [0.04], method=method, measure="OR")
        assert result.k == 1
        assert result.estimate == pytest.approx(0.3)
        assert result.se == pytest.approx(0.2)
        assert (result.tau2, result.q, result.q_p, result.i2, result.h2) == (
            0.0,
            0.0,
            1.0,
            0.0,
            1.0,
        )
        assert result.exp_estimate == pytest.approx(math.exp(0.3))


def test_level_changes_interval_width() -> None:
    narrow = meta_analyse([0.0, 2.0], [1.0, 1.0], method="FE", level=0.5)
    assert narrow.ci_high - narrow.estimate == pytest.approx(stats.norm.ppf(0.75) * narrow.se)
    assert narrow.level == 0.5


def test_to_dict_is_json_ready() -> None:
    import json

    result = pool(bcg("RR"), method="DL")
    data = result.to_dict()
    for key in (
        "k",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "z",
        "p",
        "tau2",
        "i2",
        "q",
        "exp_estimate",
        "exp_ci_low",
        "exp_ci_high",
        "q_p",
        "h2",
        "pi_low",
        "pi_high",
    ):
        assert key in data  # fmt: skip
    assert "weights" not in data
    assert len(result.to_dict(include_weights=True)["weights"]) == 13
    assert json.loads(json.dumps(data)) == data


# --------------------------------------------------------------------------- properties

variances = arrays(np.float64, st.integers(2, 30), elements=st.floats(0.001, 10.0))


@st.composite
def studies(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    vi = draw(variances)
    yi = draw(arrays(np.float64, vi.shape, elements=st.floats(-5.0, 5.0)))
    return yi, vi


@settings(max_examples=60, deadline=None)
@given(studies())
def test_fixed_effect_and_dl_agree_with_statsmodels(data: tuple[np.ndarray, np.ndarray]) -> None:
    from statsmodels.stats.meta_analysis import combine_effects

    yi, vi = data
    # statsmodels divides 0 by 0 when Q = 0 (all yi equal), and its untruncated negative DL
    # tau2 can make weights infinite or variances negative; numpy warns about both.
    assume(np.ptp(yi) > 1e-3)
    with np.errstate(divide="ignore", invalid="ignore"):
        reference = combine_effects(yi, vi, method_re="chi2")
    fixed = meta_analyse(yi, vi, method="FE")
    dl = meta_analyse(yi, vi, method="DL")
    assert fixed.estimate == pytest.approx(reference.mean_effect_fe, rel=1e-9, abs=1e-12)
    assert fixed.se == pytest.approx(reference.sd_eff_w_fe, rel=1e-9)
    assert fixed.q == pytest.approx(reference.q, rel=1e-9, abs=1e-9)
    assert tau2_dersimonian_laird(yi, vi) == pytest.approx(dl.tau2)
    if reference.tau2 < 0:
        # statsmodels leaves a negative DL estimate untruncated (and uses it in the weights);
        # DerSimonian & Laird (1986) and metafor truncate at 0, giving the fixed-effect result.
        assert dl.tau2 == 0.0
        assert dl.estimate == pytest.approx(fixed.estimate, rel=1e-12, abs=1e-12)
        return
    assert dl.tau2 == pytest.approx(reference.tau2, rel=1e-9, abs=1e-12)
    assert dl.estimate == pytest.approx(reference.mean_effect_re, rel=1e-9, abs=1e-12)
    assert dl.se == pytest.approx(reference.sd_eff_w_re, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(studies())
def test_reml_solves_its_estimating_equation(data: tuple[np.ndarray, np.ndarray]) -> None:
    yi, vi = data
    fit = tau2_reml(yi, vi)

    def score(tau2: float) -> tuple[float, float]:
        w = 1.0 / (vi + tau2)
        residual = w * (yi - (w * yi).sum() / w.sum())
        trace_p = w.sum() - (w * w).sum() / w.sum()
        return residual @ residual - trace_p, trace_p

    at_fit, scale = score(fit.tau2)
    at_zero, scale_zero = score(0.0)
    interior_root = abs(at_fit) <= 1e-3 * scale
    boundary = fit.tau2 < 1e-4 and at_zero <= 1e-9 * scale_zero
    assert interior_root or boundary
    assert fit.iterations is not None
    assert 1 <= fit.iterations <= (200 if fit.used_fallback else 100)


def test_reml_raises_when_it_cannot_converge_without_fallback() -> None:
    effects = effect_sizes_from_frame(pl.read_csv(DATA / "bcg.csv"), measure="RR")
    with pytest.raises(MetaConvergenceError, match="did not converge in 1 iterations"):
        tau2_reml(effects.yi, effects.vi, max_iter=1, fallback=False)
    with pytest.raises(ValueError, match="positive"):
        tau2_reml(effects.yi, effects.vi, tol=0)
    assert tau2_reml(effects.yi, effects.vi).used_fallback is False


def test_reml_fallback_when_fisher_scoring_oscillates() -> None:
    # Found by hypothesis: plain Fisher scoring overshoots and zig-zags between about 0 and
    # 0.18 for well over 100 iterations; the fallback solves the score equation instead.
    from scipy.optimize import minimize_scalar

    yi = np.array([0.0, 1.0, 1.0, 1.0, 1.0])
    vi = np.array([0.125, 1.0, 1.0, 1.0, 1.0])
    with pytest.raises(MetaConvergenceError):
        tau2_reml(yi, vi, fallback=False)
    fit = tau2_reml(yi, vi)
    assert fit.used_fallback

    def minus_restricted_loglik(tau2: float) -> float:
        w = 1.0 / (vi + tau2)
        mu = (w * yi).sum() / w.sum()
        return float(0.5 * (np.log(vi + tau2).sum() + np.log(w.sum()) + (w * (yi - mu) ** 2).sum()))

    best = minimize_scalar(
        minus_restricted_loglik, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-10}
    )
    assert fit.tau2 == pytest.approx(best.x, abs=1e-6)
    result = meta_analyse(yi, vi, method="REML")
    assert result.tau2 == pytest.approx(fit.tau2)
    assert result.iterations == fit.iterations


# --------------------------------------------------------------------------- validation


def test_invalid_inputs_list_every_problem() -> None:
    with pytest.raises(MetaInputError) as caught:
        meta_analyse([0.1, np.nan, 0.3, np.inf], [0.1, -0.2, 0.0, 0.1], missing="error")
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column yi: missing value",
        "row 2, column vi: sampling variance must be greater than 0 (got -0.2)",
        "row 3, column vi: sampling variance must be greater than 0 (got 0)",
        "row 4, column yi: must be a finite number (got inf)",
    ]


def test_invalid_shapes_methods_and_levels() -> None:
    with pytest.raises(MetaInputError, match="k must be at least 1"):
        meta_analyse([], [])
    with pytest.raises(MetaInputError, match="yi has 2 values but vi has 1"):
        meta_analyse([0.1, 0.2], [0.1])
    with pytest.raises(MetaInputError) as caught:
        meta_analyse([0.1], [0.1], method="XX", measure="MD")
    assert len(caught.value.problems) == 2
    assert "unknown method 'XX' (expected one of FE, DL, REML, ML, PM, HS, SJ, EB, HE)" in str(
        caught.value
    )
    for level in (0.0, 1.0, 95):
        with pytest.raises(MetaInputError, match="level must be strictly between 0 and 1"):
            meta_analyse([0.1], [0.1], level=level)
    with pytest.raises(MetaInputError, match="values must all be numbers"):
        meta_analyse(["a"], [0.1])


def test_pool_accepts_effect_sizes_and_lowercase_method() -> None:
    effects = generic(yi=[0.0, 2.0], vi=[1.0, 1.0])
    assert pool(effects, method="dl").tau2 == pytest.approx(1.0)
