"""``whatworks-analytics meta`` end to end through ``main([...])``.

Expected values: metafor's published results (sources in test_pooling.py's docstring).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, EXIT_USAGE, main

#: The prefix of every error line of the command (the package's one CLI convention).
E = "whatworks-analytics meta: error: "

DATA = Path(__file__).parent / "data"
REFERENCE = Path(__file__).parents[1] / "reference"
BCG = str(DATA / "bcg.csv")
NORMAND = str(DATA / "normand1999.csv")
SUMMARY_KEYS = {"k", "estimate", "se", "ci_low", "ci_high", "z", "p", "tau2", "i2", "q"}
RATIO_KEYS = {"exp_estimate", "exp_ci_low", "exp_ci_high"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["meta", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def close(actual: float, expected: float, decimals: int = 4) -> bool:
    return abs(actual - expected) <= 0.5 * 10.0**-decimals + 1e-12


def test_rr_reml_prints_metafor_results(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, BCG, "--measure", "RR", "--method", "REML")
    assert (code, err) == (EXIT_OK, "")
    data = json.loads(out)
    assert set(data) >= SUMMARY_KEYS | RATIO_KEYS
    assert data["k"] == 13
    assert (data["measure"], data["method"]) == ("RR", "REML")
    # metafor manual page dat.bcg (rma REML and predict(transf=exp)).
    expected = {
        "estimate": -0.7145, "se": 0.1798, "z": -3.9744, "ci_low": -1.0669, "ci_high": -0.3622,
        "tau2": 0.3132, "q": 152.2330, "exp_estimate": 0.4894, "exp_ci_low": 0.3441,
        "exp_ci_high": 0.6962,
    }  # fmt: skip
    for key, value in expected.items():
        assert close(data[key], value), key
    assert close(data["i2"], 92.22, decimals=2)
    assert data["p"] < 1e-4


def test_or_dl_and_lowercase_options(capsys: pytest.CaptureFixture[str]) -> None:
    # wviechtb/metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r (DL, OR).
    code, out, _ = run(capsys, BCG, "--measure", "or", "--method", "dl")
    assert code == EXIT_OK
    data = json.loads(out)
    assert close(data["estimate"], -0.7474)
    assert close(data["tau2"], 0.3663)
    assert close(data["i2"], 92.6455)
    assert close(data["exp_estimate"], 0.4736)
    assert close(data["exp_ci_low"], 0.3249)
    assert close(data["exp_ci_high"], 0.6903)


def test_smd_default_method_is_reml(capsys: pytest.CaptureFixture[str]) -> None:
    # metafor manual page dat.normand1999 (rma(measure="SMD"), REML).
    code, out, _ = run(capsys, NORMAND, "--measure", "SMD")
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["method"] == "REML"
    assert close(data["estimate"], -0.5371)
    assert close(data["ci_low"], -1.1421)
    assert close(data["ci_high"], 0.0679)
    assert close(data["tau2"], 0.7908)
    assert close(data["q"], 123.7293)
    assert close(data["p"], 0.0818)
    assert data["exp_estimate"] is None


def test_generic_reml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Mean differences of dat.normand1999 as yi and vi = sd1^2/n1 + sd2^2/n2, pooled with REML:
    # metafor manual page dat.normand1999 (escalc(measure="MD") then rma(yi, vi)).
    frame = pl.read_csv(NORMAND).select(
        "study",
        yi=pl.col("m1") - pl.col("m2"),
        vi=pl.col("sd1") ** 2 / pl.col("n1") + pl.col("sd2") ** 2 / pl.col("n2"),
    )
    path = tmp_path / "md.csv"
    frame.write_csv(path)
    code, out, _ = run(capsys, str(path), "--measure", "GENERIC", "--method", "REML")
    assert code == EXIT_OK
    data = json.loads(out)
    assert close(data["estimate"], -15.1060)
    assert close(data["se"], 8.9466)
    assert close(data["ci_low"], -32.6409)
    assert close(data["ci_high"], 2.4289)
    assert close(data["tau2"], 684.6462)
    assert close(data["q"], 238.9158)
    assert data["exp_estimate"] is None
    code, out, _ = run(capsys, str(path), "--measure", "GENERIC", "--method", "FE")
    assert json.loads(out)["pi_low"] is None


def test_level_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, BCG, "--measure", "RR", "--method", "FE", "--level", "90")
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["level"] == pytest.approx(0.9)
    assert data["ci_high"] - data["estimate"] == pytest.approx(1.6448536269514722 * data["se"])
    with pytest.raises(SystemExit) as caught:  # argparse rejects a non-number
        main(["meta", BCG, "--measure", "RR", "--level", "0.95x"])
    assert caught.value.code == EXIT_USAGE
    capsys.readouterr()
    code, _, err = run(capsys, BCG, "--measure", "RR", "--level", "100")
    assert code == EXIT_USAGE  # a value out of its range is a wrong command line
    assert err == "whatworks-analytics meta: error: --level must be between 0 and 100 (got 100)\n"


def test_bad_rows_are_listed_one_per_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "study,m1,sd1,n1,m2,sd2,n2\nA,10,2,20,8,2,20\nB,ten,2,1,8,-1,20\nC,10,,20,8,2,20\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, str(path), "--measure", "SMD")
    assert code == EXIT_INVALID_INPUT
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0] == f"{E}{path}: 3 problems (rows count from 1 after the header):"
    assert lines[1:] == [
        f"{E}row 2, column m1: not a number: 'ten'",
        f"{E}row 2, column n1: group size must be at least 2 (got 1)",
        f"{E}row 2, column sd2: standard deviation must be > 0 (got -1)",
    ]
    code, out, err = run(capsys, str(path), "--measure", "SMD", "--missing", "error")
    assert code == EXIT_INVALID_INPUT
    assert err.strip().splitlines()[-1] == f"{E}row 3, column sd1: missing value"


def test_missing_columns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("study,yi\nA,0.1\n", encoding="utf-8")
    code, _, err = run(capsys, str(path), "--measure", "GENERIC")
    assert code == EXIT_INVALID_INPUT
    assert f"{E}column vi: required column is missing" in err.splitlines()


def test_negative_variance_and_no_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "neg.csv"
    path.write_text("yi,vi\n0.1,-0.5\n0.2,NA\n", encoding="utf-8")
    code, _, err = run(capsys, str(path), "--measure", "GENERIC", "--missing", "error")
    assert code == EXIT_INVALID_INPUT
    assert err.splitlines()[1:] == [
        f"{E}row 1, column vi: sampling variance must be greater than 0 (got -0.5)",
        f"{E}row 2, column vi: missing value",
    ]
    header_only = tmp_path / "header.csv"
    header_only.write_text("yi,vi\n", encoding="utf-8")
    code, _, err = run(capsys, str(header_only), "--measure", "GENERIC")
    assert code == EXIT_INVALID_INPUT
    assert "no studies" in err


def test_unreadable_and_unparseable_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, str(tmp_path / "nope.csv"), "--measure", "RR")
    assert (code, out) == (EXIT_IO, "")
    assert err.startswith(f"{E}cannot read {tmp_path / 'nope.csv'}:")
    assert "Traceback" not in err
    code, _, err = run(capsys, str(tmp_path), "--measure", "RR")  # a directory
    assert code == EXIT_IO
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(capsys, str(empty), "--measure", "RR")
    assert code == EXIT_INVALID_INPUT
    assert "is not a readable CSV file: the file is empty" in err
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("yi,vi\n0.1,0.02,9\n", encoding="utf-8")
    code, _, err = run(capsys, str(ragged), "--measure", "GENERIC")
    assert code == EXIT_INVALID_INPUT
    assert "is not a readable CSV file" in err
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("study,yi,vi\nM\u00fcller,0.1,0.02\n".encode("latin-1"))
    code, _, err = run(capsys, str(latin1), "--measure", "GENERIC")
    assert code == EXIT_INVALID_INPUT
    assert "(save the file as UTF-8)" in err
    assert "Traceback" not in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["meta", BCG, "--measure", "MD"])
    assert caught.value.code == EXIT_USAGE
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["meta", BCG])
    assert caught.value.code == EXIT_USAGE


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    buffer = io.BytesIO(b"yi,vi\n0,1\n2,1\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(buffer))
    code, out, _ = run(capsys, "-", "--measure", "GENERIC", "--method", "DL")
    assert code == EXIT_OK
    assert json.loads(out)["tau2"] == pytest.approx(1.0)


def test_yusuf1985_table_6_drops_the_study_with_missing_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # metafor: rma(measure="OR", ai, n1i, ci, n2i, data=dat.yusuf1985, subset=table=="6",
    # method="FE") fits k = 21 of 22 trials, omitting "Snow 1" with a warning
    # (tests/reference/metafor.json, yusuf6.or_fe).
    reference = json.loads((REFERENCE / "metafor.json").read_text())["yusuf6"]
    path = REFERENCE / "metafor-data" / "yusuf1985_table6.csv"
    code, out, err = run(capsys, str(path), "--measure", "OR", "--method", "FE")
    assert code == EXIT_OK
    assert err.splitlines() == [
        f"whatworks-analytics meta: warning: {path}: 1 study with missing values left out: "
        "Snow 1 (row 8; missing ai, bi, ci, di)"
    ]
    data = json.loads(out)
    assert data["k"] == reference["or_fe"]["k"] == 21
    assert data["omitted"] == reference["omitted"] == ["Snow 1"]
    assert data["estimate"] == pytest.approx(reference["or_fe"]["beta"][0], rel=1e-10)
    assert data["se"] == pytest.approx(reference["or_fe"]["se"][0], rel=1e-10)
    assert data["q"] == pytest.approx(reference["or_fe"]["QE"], rel=1e-10)


def test_knapp_hartung_flips_the_normand1999_conclusion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # metafor on dat.normand1999 (SMD, DL): p = 0.0406 with the z test, 0.1238 with
    # test="knha" (tests/reference/metafor.json, normand_smd.pooled.DL).
    reference = json.loads((REFERENCE / "metafor.json").read_text())["normand_smd"]["pooled"]
    code, out, _ = run(capsys, NORMAND, "--measure", "SMD", "--method", "DL")
    z = json.loads(out)
    code, out, _ = run(capsys, NORMAND, "--measure", "SMD", "--method", "DL", "--test", "KNHA")
    assert code == EXIT_OK
    knha = json.loads(out)
    assert z["p"] == pytest.approx(reference["DL"]["z"]["pval"][0], rel=1e-9)
    assert knha["p"] == pytest.approx(reference["DL"]["knha"]["pval"][0], rel=1e-9)
    assert round(z["p"], 3) == 0.041 and round(knha["p"], 3) == 0.124
    assert (knha["test"], knha["df"]) == ("knha", 8)


def test_analysis_options_add_their_sections(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Values: tests/reference/metafor.json (hackshaw.bias, hackshaw.sensitivity), metafor's
    # regtest(), trimfill() and leave1out() on dat.hackshaw1998.
    reference = json.loads((REFERENCE / "metafor.json").read_text())["hackshaw"]
    path = REFERENCE / "metafor-data" / "hackshaw1998.csv"
    funnel = tmp_path / "funnel.svg"
    code, out, err = run(
        capsys,
        str(path),
        "--measure",
        "GENERIC",
        "--bias",
        "--leave-one-out",
        "--cumulative",
        "--funnel",
        str(funnel),
    )
    assert (code, err) == (EXIT_OK, "")
    data = json.loads(out)
    bias = data["publication_bias"]
    assert bias["egger"]["p"] == pytest.approx(reference["bias"]["regtest"]["pval"], rel=1e-6)
    assert bias["rank_correlation"]["tau"] == pytest.approx(reference["bias"]["ranktest"]["tau"])
    assert bias["trim_and_fill"]["k0"] == reference["bias"]["trimfill"]["k0"] == 7
    assert len(data["leave_one_out"]) == len(data["cumulative"]) == 37
    assert data["leave_one_out"][0]["estimate"] == pytest.approx(
        reference["sensitivity"]["leave1out"]["estimate"][0], rel=1e-6
    )
    assert data["tau2_ci_high"] is not None and data["pi_df"] == 35
    svg = funnel.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and '<title id="funnel-title">Funnel plot' in svg


def test_subgroups_moderators_and_mantel_haenszel(capsys: pytest.CaptureFixture[str]) -> None:
    reference = json.loads((REFERENCE / "metafor.json").read_text())
    path = REFERENCE / "metafor-data" / "raudenbush1985.csv"
    code, out, _ = run(
        capsys,
        str(path),
        "--measure",
        "GENERIC",
        "--subgroup",
        "tester",
        "--moderator",
        "weeks",
        "--moderator",
        "tester",
    )
    assert code == EXIT_OK
    data = json.loads(out)
    expected = reference["raudenbush"]
    assert data["subgroups"]["q_between"] == pytest.approx(expected["subgroups"]["QM"], rel=1e-6)
    names = [c["name"] for c in data["meta_regression"]["coefficients"]]
    assert names == ["intercept", "weeks", "tester=blind"]
    assert data["meta_regression"]["qm"] == pytest.approx(
        expected["metareg"]["weeks_tester_reml"]["QM"], rel=1e-6
    )
    code, out, _ = run(capsys, BCG, "--measure", "RR", "--pooling", "mh")
    assert code == EXIT_OK
    mh = json.loads(out)
    assert mh["method"] == "MH"
    assert mh["estimate"] == pytest.approx(reference["bcg_rr"]["mh_rr"]["beta"][0], rel=1e-9)


def test_analysis_options_report_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, BCG, "--measure", "RR", "--subgroup", "nope")
    assert code == EXIT_INVALID_INPUT
    assert "column nope: column not found in the file" in err
    code, _, err = run(capsys, NORMAND, "--measure", "SMD", "--pooling", "mh")
    assert code == EXIT_INVALID_INPUT
    assert "need 2x2 counts" in err
    with pytest.raises(SystemExit) as caught:
        main(["meta", BCG, "--measure", "RR", "--pooling", "xx"])
    assert caught.value.code == EXIT_USAGE
