"""Effect sizes: hand-computed cases, metafor's published escalc() values, validation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whatworks_analytics.meta import (
    Measure,
    MetaInputError,
    StudiesOmittedWarning,
    effect_sizes_from_frame,
    generic,
    hedges_correction,
    hedges_g,
    log_odds_ratio,
    log_risk_ratio,
)

DATA = Path(__file__).parent / "data"


def bcg() -> pl.DataFrame:
    return pl.read_csv(DATA / "bcg.csv")


def normand() -> pl.DataFrame:
    return pl.read_csv(DATA / "normand1999.csv")


def assert_dp(actual: object, expected: object, decimals: int = 4) -> None:
    """Equal to a value published with ``decimals`` decimal places."""
    got = np.atleast_1d(np.asarray(actual, dtype=float))
    want = np.atleast_1d(np.asarray(expected, dtype=float))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=0.5 * 10**-decimals + 1e-12)


# --------------------------------------------------------------------------- by hand


def test_hedges_correction_matches_gamma_definition() -> None:
    # J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)), Hedges (1981), computed independently.
    for m in (2, 3, 10, 18, 100, 300):
        expected = math.gamma(m / 2) / (math.sqrt(m / 2) * math.gamma((m - 1) / 2))
        assert hedges_correction(m) == pytest.approx(expected, rel=1e-12)
    # m = 18 by hand: Gamma(9) = 8! = 40320 and Gamma(8.5) = 7.5 * 6.5 * ... * 0.5 * sqrt(pi).
    gamma_8_5 = 7.5 * 6.5 * 5.5 * 4.5 * 3.5 * 2.5 * 1.5 * 0.5 * math.sqrt(math.pi)
    assert hedges_correction(18) == pytest.approx(40320 / (3 * gamma_8_5), rel=1e-12)


def test_hedges_g_by_hand() -> None:
    # Both SDs 2 so the pooled SD is 2 and d = (10 - 8) / 2 = 1; m = 10 + 10 - 2 = 18.
    effects = hedges_g(m1=[10.0], sd1=[2.0], n1=[10], m2=[8.0], sd2=[2.0], n2=[10])
    j = float(hedges_correction(18))
    assert effects.yi[0] == pytest.approx(j, rel=1e-12)
    assert effects.vi[0] == pytest.approx(1 / 10 + 1 / 10 + j**2 / (2 * 20), rel=1e-12)
    assert effects.measure is Measure.SMD
    assert effects.study == ("Study 1",)


def test_log_risk_ratio_by_hand() -> None:
    # Risks 10/100 and 20/100: RR = 0.5; vi = 1/10 - 1/100 + 1/20 - 1/100 = 0.13.
    effects = log_risk_ratio(ai=[10], bi=[90], ci=[20], di=[80])
    assert effects.yi[0] == pytest.approx(math.log(0.5), rel=1e-12)
    assert effects.vi[0] == pytest.approx(0.13, rel=1e-12)
    assert effects.corrected_rows == ()


def test_log_odds_ratio_by_hand() -> None:
    # Odds 10/90 and 20/80: OR = (10 * 80) / (90 * 20); vi = 1/10 + 1/90 + 1/20 + 1/80.
    effects = log_odds_ratio(ai=[10], bi=[90], ci=[20], di=[80])
    assert effects.yi[0] == pytest.approx(math.log(800 / 1800), rel=1e-12)
    assert effects.vi[0] == pytest.approx(1 / 10 + 1 / 90 + 1 / 20 + 1 / 80, rel=1e-12)


def test_zero_cell_adds_half_to_every_cell_of_that_study_only() -> None:
    # metafor's default add=1/2, to="only0": the first table has a zero cell, the second not.
    odds = log_odds_ratio(ai=[0, 10], bi=[10, 90], ci=[5, 20], di=[5, 80], study=["A", "B"])
    assert odds.yi[0] == pytest.approx(math.log((0.5 * 5.5) / (10.5 * 5.5)), rel=1e-12)
    assert odds.vi[0] == pytest.approx(1 / 0.5 + 1 / 10.5 + 1 / 5.5 + 1 / 5.5, rel=1e-12)
    assert odds.yi[1] == pytest.approx(math.log(800 / 1800), rel=1e-12)
    assert odds.corrected_rows == (1,)

    risks = log_risk_ratio(ai=[0], bi=[10], ci=[5], di=[5])
    # After correction n1 = 0.5 + 10.5 = 11 and n2 = 5.5 + 5.5 = 11.
    assert risks.yi[0] == pytest.approx(math.log((0.5 / 11) / (5.5 / 11)), rel=1e-12)
    assert risks.vi[0] == pytest.approx(1 / 0.5 - 1 / 11 + 1 / 5.5 - 1 / 11, rel=1e-12)


def test_double_zero_study_is_kept_like_metafor() -> None:
    # escalc's default drop00=FALSE: no events in either group still gives log OR 0.
    effects = log_odds_ratio(ai=[0], bi=[20], ci=[0], di=[30])
    assert effects.yi[0] == pytest.approx(math.log((0.5 * 30.5) / (20.5 * 0.5)), rel=1e-12)


def test_effect_sizes_are_read_only() -> None:
    effects = generic(yi=[0.1, 0.2], vi=[0.01, 0.02])
    with pytest.raises(ValueError, match="read-only"):
        effects.yi[0] = 1.0


# --------------------------------------------------------------------------- metafor


def test_bcg_log_risk_ratios_match_metafor() -> None:
    # escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg), printed in the
    # example of metafor's manual page dat.bcg (wviechtb/metafor docs/reference/dat.bcg.html).
    frame = bcg()
    effects = effect_sizes_from_frame(frame, measure="RR")
    assert_dp(
        effects.yi,
        [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209,
         0.0120, -0.4694, -1.3713, -0.3394, 0.4459, -0.0173],
    )  # fmt: skip
    assert_dp(
        effects.vi,
        [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230,
         0.0040, 0.0564, 0.0730, 0.0124, 0.5325, 0.0714],
    )  # fmt: skip
    assert effects.study[0] == "Aronson 1948"


def test_bcg_log_odds_ratios_match_metafor() -> None:
    # escalc(measure="OR", ...) on dat.colditz1994 (the same data), printed on metafor-project.org
    # analyses:vanhouwelingen2002 ("yi" and "vi" columns of the data listing).
    effects = effect_sizes_from_frame(bcg(), measure="OR")
    assert_dp(effects.yi[:7], [-0.9387, -1.6662, -1.3863, -1.4564, -0.2191, -0.9581, -1.6338])
    assert_dp(effects.vi[:7], [0.3571, 0.2081, 0.4334, 0.0203, 0.0520, 0.0099, 0.2270])


def test_bcg_first_study_z_and_se_match_metafor() -> None:
    # summary() of escalc RR / OR for Aronson 1948: sei 0.5706 (RR) and 0.5976 (OR);
    # wviechtb/metafor tests/testthat/test_misc_escalc.r ("out.names" test).
    rr = effect_sizes_from_frame(bcg(), measure="RR")
    odds = effect_sizes_from_frame(bcg(), measure="OR")
    assert_dp(rr.sei[0], 0.5706)
    assert_dp(rr.yi[0] / rr.sei[0], -1.5586)
    assert_dp(odds.sei[0], 0.5976)
    assert_dp(odds.yi[0] / odds.sei[0], -1.5708)


def test_normand_hedges_g_matches_metafor() -> None:
    # escalc(measure="SMD", ..., data=dat.normand1999, subset=1:4):
    # wviechtb/metafor tests/testthat/test_misc_escalc.r ("measure='SMD/SMDH/ROM'").
    effects = effect_sizes_from_frame(normand().head(4), measure="SMD")
    assert_dp(effects.yi, [-0.3552, -0.3479, -2.3176, -1.8880])
    assert_dp(effects.vi, [0.0131, 0.0645, 0.0458, 0.1606])


def test_array_and_frame_paths_agree() -> None:
    frame = normand()
    from_frame = effect_sizes_from_frame(frame, measure="smd")
    from_arrays = hedges_g(
        m1=frame.get_column("m1").to_numpy(),
        sd1=frame.get_column("sd1").to_numpy(),
        n1=frame.get_column("n1").to_numpy(),
        m2=frame.get_column("m2").to_numpy(),
        sd2=frame.get_column("sd2").to_numpy(),
        n2=frame.get_column("n2").to_numpy(),
        study=frame.get_column("study").to_list(),
    )
    np.testing.assert_array_equal(from_frame.yi, from_arrays.yi)
    np.testing.assert_array_equal(from_frame.vi, from_arrays.vi)
    assert from_frame.study == from_arrays.study


# --------------------------------------------------------------------------- properties


@given(st.integers(min_value=2, max_value=100_000))
def test_hedges_correction_is_below_one_and_near_the_approximation(m: int) -> None:
    j = float(hedges_correction(m))
    assert 0 < j < 1
    # Hedges' approximation 1 - 3 / (4m - 1) differs by about 1 / (32 m^2); the log-gamma
    # computation itself is good to about 1e-10 for m near 1e5.
    assert j == pytest.approx(1 - 3 / (4 * m - 1), abs=0.05 / m**2 + 1e-9)


counts = st.integers(min_value=0, max_value=10_000)


@given(counts, counts, counts, counts)
def test_swapping_groups_negates_log_ratios(ai: int, bi: int, ci: int, di: int) -> None:
    if ai + bi == 0 or ci + di == 0:
        return
    for function in (log_risk_ratio, log_odds_ratio):
        forward = function(ai=[ai], bi=[bi], ci=[ci], di=[di])
        backward = function(ai=[ci], bi=[di], ci=[ai], di=[bi])
        assert forward.yi[0] == pytest.approx(-backward.yi[0], abs=1e-9)
        assert forward.vi[0] == pytest.approx(backward.vi[0], rel=1e-9)
        assert np.isfinite(forward.yi[0]) and forward.vi[0] > 0


# --------------------------------------------------------------------------- validation


def test_every_problem_is_reported_at_once_with_row_and_column() -> None:
    with pytest.raises(MetaInputError) as caught:
        hedges_g(
            m1=[1.0, np.nan, 3.0],
            sd1=[1.0, 1.0, -2.0],
            n1=[10, 1, 10],
            m2=[0.0, 0.0, 0.0],
            sd2=[0.0, 1.0, 1.0],
            n2=[10, 10, np.inf],
            missing="error",
        )
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {(1, "sd2"), (2, "m1"), (2, "n1"), (3, "sd1"), (3, "n2")}
    message = str(caught.value)
    assert "5 problems" in message
    assert "row 3, column sd1: standard deviation must be > 0 (got -2)" in message
    assert "row 2, column n1: group size must be at least 2 (got 1)" in message
    assert "row 2, column m1: missing value" in message
    assert "row 3, column n2: must be a finite number (got inf)" in message
    # Problems are ordered by row.
    rows = [p.row or 0 for p in caught.value.problems]
    assert rows == sorted(rows)


def test_count_problems() -> None:
    with pytest.raises(MetaInputError) as caught:
        log_risk_ratio(ai=[-1, 0, 3], bi=[5, 0, 3], ci=[1, 2, 0], di=[1, 2, 0])
    messages = [str(p) for p in caught.value.problems]
    assert "row 1, column ai: count cannot be negative (got -1)" in messages
    assert "row 2, column ai, bi: the treatment group has no participants (ai + bi = 0)" in messages
    assert "row 3, column ci, di: the control group has no participants (ci + di = 0)" in messages


def test_generic_variance_must_be_positive() -> None:
    with pytest.raises(MetaInputError) as caught:
        generic(yi=[0.1, 0.2, 0.3], vi=[0.1, -0.2, 0.0])
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "vi"), (3, "vi")]
    assert "sampling variance must be greater than 0 (got -0.2)" in str(caught.value)


def test_lengths_must_agree_and_values_be_numbers() -> None:
    with pytest.raises(MetaInputError, match="same number of rows"):
        generic(yi=[0.1, 0.2], vi=[0.1])
    with pytest.raises(MetaInputError, match="same number of rows"):
        generic(yi=[0.1], vi=[0.1], study=["a", "b"])
    with pytest.raises(MetaInputError, match="column yi: values must all be numbers"):
        generic(yi=["x"], vi=[0.1])
    with pytest.raises(MetaInputError, match="k must be at least 1"):
        generic(yi=[], vi=[])


def test_frame_with_text_cells_reports_every_bad_cell() -> None:
    frame = pl.DataFrame(
        {
            "study": ["a", None, "c", "d"],
            " yi ": ["0.1", "abc", "NA", " 0.4 "],
            "vi": ["0.01", "", "-1", "1e-2"],
        }
    )
    with pytest.raises(MetaInputError) as caught:
        effect_sizes_from_frame(frame, measure="generic", missing="error")
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column yi: not a number: 'abc'",
        "row 2, column vi: missing value",
        "row 3, column yi: missing value",
        "row 3, column vi: sampling variance must be greater than 0 (got -1)",
    ]


def test_frame_labels_and_ignored_columns() -> None:
    frame = pl.DataFrame({"study": ["a", None], "yi": [0.1, 0.2], "vi": [0.01, 0.02], "x": [1, 2]})
    effects = effect_sizes_from_frame(frame, measure=Measure.GENERIC)
    assert effects.study == ("a", "Study 2")
    no_labels = effect_sizes_from_frame(frame.drop("study"), measure="GENERIC")
    assert no_labels.study == ("Study 1", "Study 2")


def test_frame_missing_columns_unknown_measure_and_non_numeric_types() -> None:
    frame = pl.DataFrame({"ai": [1], "ci": [2]})
    with pytest.raises(MetaInputError) as caught:
        effect_sizes_from_frame(frame, measure="OR")
    assert [str(p) for p in caught.value.problems] == [
        "column bi: required column is missing",
        "column di: required column is missing",
    ]
    with pytest.raises(MetaInputError, match="unknown measure 'MD'"):
        effect_sizes_from_frame(frame, measure="MD")
    flags = pl.DataFrame({"yi": [True, False], "vi": [0.1, 0.1]})
    with pytest.raises(MetaInputError) as caught:
        effect_sizes_from_frame(flags, measure="GENERIC")
    assert [str(p) for p in caught.value.problems] == [
        "row 1, column yi: not a number",
        "row 2, column yi: not a number",
    ]


def test_frame_numeric_nan_and_null_are_missing() -> None:
    frame = pl.DataFrame({"yi": [0.1, None, float("nan")], "vi": [0.1, 0.1, 0.1]})
    with pytest.raises(MetaInputError) as caught:
        effect_sizes_from_frame(frame, measure="GENERIC", missing="error")
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column yi: missing value",
        "row 3, column yi: missing value",
    ]


def test_studies_with_missing_values_are_left_out_with_a_warning_naming_them() -> None:
    # As metafor's default na.action="na.omit": the row is dropped and the fit goes on.
    frame = pl.DataFrame(
        {
            "study": ["a", "b", "c", "d"],
            "yi": ["0.1", "NA", "0.3", "abc"],
            "vi": ["0.01", "0.02", "", "0.04"],
        }
    )
    with pytest.raises(MetaInputError) as caught:
        effect_sizes_from_frame(frame, measure="GENERIC")
    # The row that is not a number is still an error: it is not missing, it is wrong.
    assert [str(p) for p in caught.value.problems] == ["row 4, column yi: not a number: 'abc'"]
    with pytest.warns(StudiesOmittedWarning, match=r"b \(row 2; missing yi\); c \(row 3") as record:
        effects = effect_sizes_from_frame(frame.head(3), measure="GENERIC")
    warning = record[0].message
    assert isinstance(warning, StudiesOmittedWarning) and warning.studies == ("b", "c")
    assert effects.study == ("a",)
    assert [(o.row, o.label, o.columns) for o in effects.omitted] == [
        (2, "b", ("yi",)),
        (3, "c", ("vi",)),
    ]


def test_a_frame_whose_every_row_is_missing_is_refused() -> None:
    frame = pl.DataFrame(
        {"yi": [None, None], "vi": [0.1, 0.1]}, schema={"yi": pl.Float64, "vi": pl.Float64}
    )
    with pytest.raises(MetaInputError, match="no studies left"):
        effect_sizes_from_frame(frame, measure="GENERIC")


def test_empty_frame_is_k_below_one() -> None:
    frame = pl.DataFrame({"yi": [], "vi": []}, schema={"yi": pl.String, "vi": pl.String})
    with pytest.raises(MetaInputError, match="no studies"):
        effect_sizes_from_frame(frame, measure="GENERIC")
