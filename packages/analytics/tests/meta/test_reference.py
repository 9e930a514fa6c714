"""Pooling, Knapp-Hartung, prediction and heterogeneity intervals against metafor.

Every expected value comes from ``tests/reference/metafor.json``, written by
``tests/reference/metafor.R`` (metafor 3.8-1; the command is in the script's header):

* ``pooled.<method>.z`` -- ``rma(yi, vi, method=<method>)``;
* ``pooled.<method>.knha`` -- the same with ``test="knha"``;
* ``pooled.<method>.predict_riley`` -- ``predict(res, pi.type="riley")``: t with k - 2 df,
  the interval of Higgins, Thompson & Spiegelhalter (2009) that we report;
* ``pooled.<method>.confint`` -- ``confint(res)`` (Q-profile) for tau2, I2 and H2;
* ``few`` -- the first one, two and three trials of dat.bcg.

Data sets: dat.bcg (log risk ratios), dat.normand1999 (Hedges' g), dat.hackshaw1998 (log
odds ratios) and dat.raudenbush1985 (standardised mean differences).
"""

from __future__ import annotations

from typing import Any

import pytest

from whatworks_analytics.meta import EffectSizes, Method, pool

from .reference import EXACT_TOL, ITERATIVE_TOL, csv_effects, generic_effects, metafor

DATASETS = {
    "bcg_rr": lambda: generic_effects("bcg_rr"),
    "normand_smd": lambda: generic_effects("normand_smd"),
    "hackshaw": lambda: csv_effects("hackshaw1998"),
    "raudenbush": lambda: csv_effects("raudenbush1985"),
}
METHODS = ["FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"]
ITERATIVE = {"ML", "REML", "EB"}


def tolerance(method: str) -> float:
    return ITERATIVE_TOL if method in ITERATIVE else EXACT_TOL


def close(actual: float | None, expected: float, rel: float) -> None:
    assert actual is not None
    assert actual == pytest.approx(expected, rel=rel, abs=rel * 1e-3), (actual, expected)


def check_fit(result: Any, expected: dict[str, Any], rel: float) -> None:
    close(result.estimate, expected["beta"][0], rel)
    close(result.se, expected["se"][0], rel)
    close(result.z, expected["zval"][0], rel)
    close(result.p, expected["pval"][0], rel)
    close(result.ci_low, expected["ci_lb"][0], rel)
    close(result.ci_high, expected["ci_ub"][0], rel)
    close(result.tau2, expected["tau2"], rel)
    close(result.i2, expected["I2"], rel)
    close(result.h2, expected["H2"], rel)
    close(result.q, expected["QE"], EXACT_TOL)
    close(result.q_p, expected["QEp"], EXACT_TOL)


def effects_for(name: str) -> EffectSizes:
    return DATASETS[name]()


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("method", METHODS)
def test_every_estimator_matches_metafor(name: str, method: str) -> None:
    expected = metafor()[name]["pooled"][method]
    result = pool(effects_for(name), method=method)
    assert result.k == expected["z"]["k"]
    check_fit(result, expected["z"], tolerance(method))


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("method", [m for m in METHODS if m != "FE"])
def test_knapp_hartung_matches_metafor(name: str, method: str) -> None:
    expected = metafor()[name]["pooled"][method]["knha"]
    result = pool(effects_for(name), method=method, test="knha")
    check_fit(result, expected, tolerance(method))
    assert (result.test, result.df) == ("knha", expected["ddf"])


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("method", [m for m in METHODS if m != "FE"])
def test_prediction_interval_is_t_with_k_minus_2_df(name: str, method: str) -> None:
    # metafor's predict(pi.type="riley") for both tests; its default interval is narrower.
    entry = metafor()[name]["pooled"][method]
    effects = effects_for(name)
    for test, key in (("z", "predict_riley"), ("knha", "predict_knha_riley")):
        result = pool(effects, method=method, test=test)
        close(result.pi_low, entry[key]["pi_lb"], tolerance(method))
        close(result.pi_high, entry[key]["pi_ub"], tolerance(method))
        assert result.pi_df == effects.k - 2
        assert result.pi_method is not None and "k - 2" in result.pi_method
    default = entry["predict_default"]
    result = pool(effects, method=method)
    if result.tau2 > 0:
        assert result.pi_low is not None and result.pi_low < default["pi_lb"]


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("method", [m for m in METHODS if m != "FE"])
def test_q_profile_intervals_match_metafor_confint(name: str, method: str) -> None:
    expected = metafor()[name]["pooled"][method]["confint"]
    result = pool(effects_for(name), method=method, heterogeneity_ci=True)
    rel = tolerance(method)
    close(result.tau2_ci_low, expected["tau2"][1], EXACT_TOL)
    close(result.tau2_ci_high, expected["tau2"][2], EXACT_TOL)
    # I2 and H2 bounds follow from the tau2 bounds; the estimates from the fit.
    close(result.i2, expected["I2"][0], rel)
    close(result.i2_ci_low, expected["I2"][1], EXACT_TOL)
    close(result.i2_ci_high, expected["I2"][2], EXACT_TOL)
    close(result.h2_ci_low, expected["H2"][1], EXACT_TOL)
    close(result.h2_ci_high, expected["H2"][2], EXACT_TOL)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_few_studies(k: int) -> None:
    # The first k trials of dat.bcg.  For k < 3 metafor still prints an interval (its t
    # quantile falls back to one degree of freedom); we give none and say why.
    entry = metafor()["few"][k - 1]
    effects = generic_effects("bcg_rr")
    subset = EffectSizes(
        measure=effects.measure,
        study=effects.study[:k],
        yi=effects.yi[:k],
        vi=effects.vi[:k],
    )
    result = pool(subset, method=Method.REML)
    close(result.estimate, entry["fit"]["beta"][0], ITERATIVE_TOL)
    if k < 3:
        assert (result.pi_low, result.pi_high, result.pi_df, result.pi_method) == (
            None,
            None,
            None,
            None,
        )
        assert result.pi_note == "a prediction interval needs at least three studies"
        assert "pi_note" in result.to_dict()
    else:
        close(result.pi_low, entry["predict_riley"]["pi_lb"], ITERATIVE_TOL)
        close(result.pi_high, entry["predict_riley"]["pi_ub"], ITERATIVE_TOL)
        assert result.pi_note is None
        assert result.pi_method == (
            "t distribution with k - 2 = 1 degrees of freedom (Higgins, Thompson and "
            "Spiegelhalter, 2009): estimate ± t * sqrt(se² + tau²)"
        )


def test_fixed_effect_says_why_it_has_no_prediction_interval() -> None:
    result = pool(generic_effects("bcg_rr"), method="FE")
    assert result.pi_low is None
    assert result.pi_note == (
        "no prediction interval: the fixed-effect model assumes one true effect"
    )


def test_knapp_hartung_is_refused_where_it_does_not_apply() -> None:
    from whatworks_analytics.meta import MetaInputError

    effects = generic_effects("bcg_rr")
    with pytest.raises(MetaInputError, match="random-effects models"):
        pool(effects, method="FE", test="knha")
    one = EffectSizes(measure=effects.measure, study=("a",), yi=effects.yi[:1], vi=effects.vi[:1])
    with pytest.raises(MetaInputError, match="at least two studies"):
        pool(one, test="knha")
