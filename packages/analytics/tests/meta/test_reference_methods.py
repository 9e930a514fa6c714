"""Mantel-Haenszel, Peto, subgroups, meta-regression, leave-one-out, cumulative analysis,
Egger's test, the rank correlation test and trim-and-fill against metafor.

Every expected value comes from ``tests/reference/metafor.json``, written by
``tests/reference/metafor.R`` (metafor 3.8-1; the command is in its header): ``rma.mh()``,
``rma.peto()``, per-subgroup ``rma()`` with ``rma(est, sei, mods=~group, method="FE")`` for
the test of differences, ``rma(yi, vi, mods=...)``, ``leave1out()``, ``cumul()``,
``regtest()`` (``model="rma"`` and ``"lm"``), ``ranktest()`` and ``trimfill()`` (L0 and R0),
on dat.bcg, dat.yusuf1985 (table 6), dat.hackshaw1998 and dat.raudenbush1985.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pytest

from whatworks_analytics.meta import EffectSizes, StudiesOmittedWarning, effect_sizes_from_frame
from whatworks_analytics.meta.bias import egger_test, rank_correlation_test, trim_and_fill
from whatworks_analytics.meta.binary import mantel_haenszel, peto
from whatworks_analytics.meta.regression import meta_regression, subgroup_analysis
from whatworks_analytics.meta.sensitivity import cumulative, dominant_study, leave_one_out

from .reference import (
    EXACT_TOL,
    ITERATIVE_TOL,
    csv_effects,
    frame,
    generic_effects,
    metafor,
)


def close(actual: float | None, expected: float, rel: float = EXACT_TOL) -> None:
    assert actual is not None
    assert actual == pytest.approx(expected, rel=rel, abs=rel * 1e-3), (actual, expected)


def bcg_counts(measure: str) -> EffectSizes:
    table = frame("bcg").rename({"tpos": "ai", "tneg": "bi", "cpos": "ci", "cneg": "di"})
    return effect_sizes_from_frame(table, measure=measure)


def yusuf_counts(measure: str) -> EffectSizes:
    with pytest.warns(StudiesOmittedWarning, match="Snow 1"):
        return effect_sizes_from_frame(frame("yusuf1985_table6"), measure=measure)


def check_fixed(result: Any, expected: dict[str, Any], rel: float = EXACT_TOL) -> None:
    close(result.estimate, expected["beta"][0], rel)
    close(result.se, expected["se"][0], rel)
    close(result.z, expected["zval"][0], rel)
    close(result.p, expected["pval"][0], rel)
    close(result.ci_low, expected["ci_lb"][0], rel)
    close(result.ci_high, expected["ci_ub"][0], rel)
    close(result.q, expected["QE"], rel)
    close(result.q_p, expected["QEp"], rel)


# --------------------------------------------------------------------------- binary outcomes


def test_mantel_haenszel_risk_ratio_bcg() -> None:
    result = mantel_haenszel(bcg_counts("RR"))
    check_fixed(result, metafor()["bcg_rr"]["mh_rr"])
    assert (result.method, result.tau2, result.pi_low) == ("MH", 0.0, None)


def test_mantel_haenszel_odds_ratio_bcg() -> None:
    expected = metafor()["bcg_or"]["mh_or"]
    result = mantel_haenszel(bcg_counts("OR"))
    check_fixed(result, expected)
    close(result.i2, expected["I2"])


def test_peto_bcg() -> None:
    check_fixed(peto(bcg_counts("OR")), metafor()["bcg_or"]["peto"])


def test_yusuf1985_table_6_with_zero_cells_and_a_missing_study() -> None:
    # Three trials have no events at all and one has no counts (left out, with a warning).
    reference = metafor()["yusuf6"]
    effects = yusuf_counts("OR")
    assert effects.k == 21
    for function, key in ((mantel_haenszel, "mh_or"), (peto, "peto")):
        result = function(effects)
        check_fixed(result, reference[key])
        assert result.k == reference[key]["k"]
        assert result.omitted == ("Snow 1",)


def test_binary_pooling_needs_counts() -> None:
    from whatworks_analytics.meta import MetaInputError

    with pytest.raises(MetaInputError, match="need 2x2 counts"):
        mantel_haenszel(generic_effects("bcg_rr"))


# --------------------------------------------------------------------------- subgroups


@pytest.mark.parametrize(("name", "column"), [("bcg_rr", "alloc"), ("raudenbush", "tester")])
def test_subgroups_and_the_test_of_differences(name: str, column: str) -> None:
    expected = metafor()[name]["subgroups"]
    if name == "bcg_rr":
        effects = generic_effects("bcg_rr")
        groups = frame("bcg")[column].to_list()
    else:
        effects = csv_effects("raudenbush1985")
        groups = frame("raudenbush1985")[column].to_list()
    analysis = subgroup_analysis(effects, groups)
    assert list(analysis.groups) == list(expected["groups"])
    for result, fit in zip(analysis.results, expected["fits"], strict=True):
        assert result.k == fit["k"]
        close(result.estimate, fit["beta"][0], ITERATIVE_TOL)
        close(result.se, fit["se"][0], ITERATIVE_TOL)
        close(result.tau2, fit["tau2"], ITERATIVE_TOL)
    close(analysis.q_between, expected["QM"], ITERATIVE_TOL)
    assert analysis.q_between_df == expected["QMdf"]
    close(analysis.q_between_p, expected["QMp"], ITERATIVE_TOL)
    common = analysis.common_tau2
    assert common is not None
    close(common.qm, expected["common_tau2"]["QM"], ITERATIVE_TOL)
    close(common.tau2, expected["common_tau2"]["tau2"], ITERATIVE_TOL)


# --------------------------------------------------------------------------- meta-regression


def check_regression(fit: Any, expected: dict[str, Any], rel: float) -> None:
    assert fit.k == expected["k"] and len(fit.coefficients) == expected["p"]
    for i, coefficient in enumerate(fit.coefficients):
        close(coefficient.estimate, expected["beta"][i], rel)
        close(coefficient.se, expected["se"][i], rel)
        close(coefficient.z, expected["zval"][i], rel)
        close(coefficient.p, expected["pval"][i], rel)
        close(coefficient.ci_low, expected["ci_lb"][i], rel)
        close(coefficient.ci_high, expected["ci_ub"][i], rel)
    close(fit.tau2, expected["tau2"], rel)
    close(fit.qe, expected["QE"], EXACT_TOL)
    close(fit.qe_p, expected["QEp"], EXACT_TOL)
    close(fit.qm, expected["QM"], rel)
    close(fit.qm_p, expected["QMp"], rel)
    close(fit.i2, expected["I2"], rel)
    close(fit.h2, expected["H2"], rel)
    if expected.get("R2") is not None and fit.r2 is not None:
        close(fit.r2, expected["R2"], rel * 10)


BCG_MODELS = {
    "ablat_reml": ({"ablat"}, "REML", "z"),
    "ablat_year_reml": ({"ablat", "year"}, "REML", "z"),
    "ablat_year_reml_knha": ({"ablat", "year"}, "REML", "knha"),
    "ablat_year_ml": ({"ablat", "year"}, "ML", "z"),
    "ablat_year_dl": ({"ablat", "year"}, "DL", "z"),
    "ablat_year_fe": ({"ablat", "year"}, "FE", "z"),
}


@pytest.mark.parametrize("model", BCG_MODELS)
def test_meta_regression_bcg(model: str) -> None:
    columns, method, test = BCG_MODELS[model]
    table = frame("bcg")
    moderators = {name: table[name].to_list() for name in ("ablat", "year") if name in columns}
    fit = meta_regression(generic_effects("bcg_rr"), moderators, method=method, test=test)
    rel = ITERATIVE_TOL if method in {"REML", "ML"} else EXACT_TOL
    check_regression(fit, metafor()["bcg_rr"]["metareg"][model], rel)
    assert fit.df == (13 - 3 if test == "knha" else None)


def test_meta_regression_raudenbush_with_a_text_moderator() -> None:
    table = frame("raudenbush1985")
    effects = csv_effects("raudenbush1985")
    expected = metafor()["raudenbush"]["metareg"]
    weeks = table["weeks"].to_list()
    check_regression(meta_regression(effects, {"weeks": weeks}), expected["weeks_reml"], 1e-6)
    check_regression(
        meta_regression(effects, {"weeks": weeks}, test="knha"), expected["weeks_reml_knha"], 1e-6
    )
    fit = meta_regression(effects, {"weeks": weeks, "tester": table["tester"].to_list()})
    assert [c.name for c in fit.coefficients] == ["intercept", "weeks", "tester=blind"]
    check_regression(fit, expected["weeks_tester_reml"], 1e-6)


def test_meta_regression_refuses_too_few_studies_and_collinear_moderators() -> None:
    from whatworks_analytics.meta import MetaInputError, generic

    effects = generic(yi=[0.1, 0.2, 0.3], vi=[0.01, 0.02, 0.03])
    with pytest.raises(MetaInputError, match="too few"):
        meta_regression(effects, {"a": [1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0]})
    effects = generic(yi=[0.1, 0.2, 0.3, 0.4], vi=[0.01, 0.02, 0.03, 0.04])
    with pytest.raises(MetaInputError, match="collinear"):
        meta_regression(effects, {"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0]})


# --------------------------------------------------------------------------- sensitivity


@pytest.mark.parametrize("name", ["bcg_rr", "hackshaw"])
def test_leave_one_out_and_cumulative(name: str) -> None:
    effects = generic_effects("bcg_rr") if name == "bcg_rr" else csv_effects("hackshaw1998")
    expected = metafor()[name]["sensitivity"]
    for rows, key in ((leave_one_out(effects), "leave1out"), (cumulative(effects), "cumul")):
        reference = expected[key]
        assert len(rows) == effects.k
        for field, column in (
            ("estimate", "estimate"),
            ("se", "se"),
            ("z", "zval"),
            ("p", "pval"),
            ("ci_low", "ci_lb"),
            ("ci_high", "ci_ub"),
            ("q", "Q"),
            ("q_p", "Qp"),
            ("tau2", "tau2"),
            ("i2", "I2"),
            ("h2", "H2"),
        ):
            actual = np.array([getattr(row, field) for row in rows])
            assert actual == pytest.approx(
                np.array(reference[column], dtype=float), rel=ITERATIVE_TOL, abs=1e-9
            ), (key, field)


def test_dominant_study() -> None:
    from whatworks_analytics.meta import generic, pool

    effects = generic(yi=[0.1, 0.5, 0.3], vi=[0.001, 0.1, 0.1], study=["Big", "B", "C"])
    assert dominant_study(effects, pool(effects, method="FE")) == "Big"
    balanced = generic(yi=[0.1, 0.5, 0.3], vi=[0.1, 0.1, 0.1])
    assert dominant_study(balanced, pool(balanced, method="FE")) is None


# --------------------------------------------------------------------------- bias


@pytest.mark.parametrize(
    ("name", "method"),
    [("bcg_rr", "REML"), ("hackshaw", "REML"), ("hackshaw", "FE"), ("raudenbush", "REML")],
)
def test_egger_rank_and_trim_and_fill(name: str, method: str) -> None:
    effects = {
        "bcg_rr": lambda: generic_effects("bcg_rr"),
        "hackshaw": lambda: csv_effects("hackshaw1998"),
        "raudenbush": lambda: csv_effects("raudenbush1985"),
    }[name]()
    key = "bias_fe" if method == "FE" else "bias"
    expected = metafor()[name][key]
    rel = ITERATIVE_TOL if method == "REML" else EXACT_TOL

    egger = egger_test(effects, method=method)
    close(egger.z, expected["regtest"]["zval"], rel)
    close(egger.p, expected["regtest"]["pval"], rel)
    close(egger.limit_estimate, expected["regtest"]["est"], rel)
    close(egger.limit_ci_low, expected["regtest"]["ci_lb"], rel)
    classic = egger_test(effects, model="lm")
    close(classic.z, expected["regtest_lm"]["zval"])
    close(classic.p, expected["regtest_lm"]["pval"])
    close(classic.limit_estimate, expected["regtest_lm"]["est"])
    close(classic.limit_ci_high, expected["regtest_lm"]["ci_ub"])
    assert classic.df == expected["regtest_lm"]["ddf"] == effects.k - 2

    rank = rank_correlation_test(effects)
    close(rank.tau, expected["ranktest"]["tau"])
    close(rank.p, expected["ranktest"]["pval"], 1e-7)

    estimators: tuple[tuple[Literal["L0", "R0"], str], ...] = (
        ("L0", "trimfill"),
        ("R0", "trimfill_r0"),
    )
    for estimator, entry in estimators:
        filled = trim_and_fill(effects, method=method, estimator=estimator)
        reference = expected[entry]
        assert filled.k0 == reference["k0"], estimator
        assert filled.side == reference["side"]
        close(filled.se_k0, reference["se_k0"], rel)
        close(filled.result.estimate, reference["beta"], rel)
        close(filled.result.se, reference["se"], rel)
        close(filled.result.tau2, reference["tau2"], rel)
        assert filled.result.k == effects.k + filled.k0
        if filled.k0:
            yi = np.array(reference["yi"], dtype=float)[effects.k :]
            assert np.array(filled.filled_yi) == pytest.approx(yi, rel=rel)
