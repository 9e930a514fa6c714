"""``whatworks-analytics audit`` end to end, and every bad-input message."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def scores_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(12)
    n = 3000
    eth = rng.choice(np.array(["White", "Black", "Asian", "Other"]), n, p=[0.6, 0.2, 0.18, 0.02])
    sex = rng.choice(np.array(["F", "M"]), n)
    label = (rng.random(n) < 0.25).astype(int)
    score = np.round(0.3 * label + 0.7 * rng.random(n), 3)
    path = tmp_path / "scores.csv"
    pl.DataFrame(
        {"id": np.arange(n), "risk": score, "outcome": label, "ethnicity": eth, "sex": sex}
    ).write_csv(path)
    return path


def base(path: Path) -> list[str]:
    return ["audit", "--scores", str(path), "--score", "risk", "--label", "outcome"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(constant)

    return json.loads(text, parse_constant=refuse)


def test_end_to_end_json_and_html(
    scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "report.html"
    argv = [
        *base(scores_csv),
        "--group",
        "ethnicity",
        "--group",
        "sex",
        "--top-percent",
        "10",
        "--reference",
        "ethnicity=White",
        "--reference",
        "sex=lowest",
        "--band",
        "0.8-1.25",
        "--min-group-size",
        "100",
        "--action",
        "punitive",
        "--intersections",
        "--bootstrap",
        "100",
        "--seed",
        "4",
        "--html",
        str(html),
    ]
    code, out, err = run(argv, capsys)
    assert code == EXIT_OK, err
    data = strict(out)
    assert data["n"] == 3000
    assert data["flagged"] >= 300
    assert data["key_metrics"] == ["fpr", "fdr"]
    keys = {
        "attribute", "group", "n", "tp", "fp", "tn", "fn", "base_rate", "selection_rate",
        "fpr", "fnr", "precision", "npv", "fdr", "for", "disparity", "within_band", "too_small",
    }  # fmt: skip
    for group in data["groups"]:
        assert keys <= set(group)
        assert group["tp"] + group["fp"] + group["tn"] + group["fn"] == group["n"]
    other = next(g for g in data["groups"] if g["group"] == "Other")
    assert other["too_small"] is True
    assert set(other["within_band"].values()) == {None}
    assert {g["attribute"] for g in data["groups"]} == {"ethnicity", "sex", "ethnicity & sex"}
    assert data["attributes"][0]["reference_groups"]["fpr"] == "White"
    page = html.read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in page and "<svg" in page


def test_threshold_and_help(scores_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([*base(scores_csv), "--group", "sex", "--threshold", "0.5"], capsys)
    assert code == EXIT_OK
    data = strict(out)
    assert data["flagging"]["rule"] == "threshold"
    assert data["flagging"]["threshold_used"] == 0.5
    with pytest.raises(SystemExit) as exited:
        main(["audit", "--help"])
    assert exited.value.code == 0
    assert "tied at the cut-off are all flagged" in capsys.readouterr().out


def test_missing_columns_are_listed_at_once(
    scores_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["audit", "--scores", str(scores_csv), "--score", "scor", "--label", "outcome",
            "--group", "ethnicity", "--group", "region", "--threshold", "0.5"]  # fmt: skip
    code, out, err = run(argv, capsys)
    assert code == EXIT_INVALID_INPUT
    assert out == ""
    assert "missing columns: 'scor', 'region'" in err
    assert "'id', 'risk', 'outcome', 'ethnicity', 'sex'" in err


def test_non_numeric_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("risk,outcome,sex\n0.5,1,F\nhigh,0,M\n0.1,0,F\nn/a,1,M\n", encoding="utf-8")
    code, _, err = run([*base(path), "--group", "sex", "--threshold", "0.5"], capsys)
    assert code == EXIT_INVALID_INPUT
    assert "column 'risk' must hold numeric scores" in err
    assert "'high', 'n/a'" in err
    assert "lines 3, 5" in err


def test_labels_not_zero_or_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("risk,outcome,sex\n0.5,1,F\n0.2,2,M\n0.1,yes,F\n0.7,,M\n", encoding="utf-8")
    code, _, err = run([*base(path), "--group", "sex", "--threshold", "0.5"], capsys)
    assert code == EXIT_INVALID_INPUT
    assert "column 'outcome' must hold 0/1 labels" in err
    assert "'2'" in err and "line 3" in err
    assert "1 empty label(s) (line 5)" in err


def test_text_labels_true_false_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("risk,outcome,sex\n0.5,true,F\n0.2,False,M\n0.9,1.0,F\n", encoding="utf-8")
    argv = [*base(path), "--group", "sex", "--threshold", "0.5", "--min-group-size", "1"]
    code, out, err = run(argv, capsys)
    assert code == EXIT_OK, err
    assert strict(out)["groups"][0]["tp"] == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give exactly one of --threshold and --top-percent"),
        (["--threshold", "0.5", "--top-percent", "10"], "give exactly one"),
        (["--top-percent", "0"], "0 < P <= 100; got 0"),
        (["--top-percent", "150"], "0 < P <= 100; got 150"),
        (["--threshold", "0.5", "--reference", "ethnicity"], "ATTRIBUTE=GROUP"),
        (["--threshold", "0.5", "--reference", "=White"], "ATTRIBUTE=GROUP"),
        (["--threshold", "0.5", "--reference", "region=North"], "not audited: region"),
        (["--threshold", "0.5", "--band", "1.25-0.8"], "--band"),
        (["--threshold", "0.5", "--band", "wide"], "--band"),
        (["--threshold", "0.5", "--min-group-size", "0"], "minimum group size"),
        (["--threshold", "0.5", "--bootstrap", "10", "--confidence", "95"], "confidence"),
    ],
)
def test_usage_errors(
    scores_csv: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, out, err = run([*base(scores_csv), "--group", "ethnicity", *extra], capsys)
    assert code == EXIT_USAGE
    assert out == ""
    assert message in err
    assert err.startswith("whatworks-analytics audit: error:")


def test_reference_group_not_in_data(scores_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*base(scores_csv), "--group", "ethnicity", "--threshold", "0.5",
            "--reference", "ethnicity=Martian"]  # fmt: skip
    code, _, err = run(argv, capsys)
    assert code == EXIT_INVALID_INPUT
    assert "ethnicity=Martian: no such group" in err
    assert "'Asian', 'Black', 'Other', 'White'" in err


def test_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in (tmp_path / "absent.csv", tmp_path):
        code, _, err = run([*base(path), "--group", "sex", "--threshold", "0.5"], capsys)
        assert code == EXIT_IO
        assert "cannot read" in err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_permission_denied(scores_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scores_csv.chmod(0)
    code, _, err = run([*base(scores_csv), "--group", "sex", "--threshold", "0.5"], capsys)
    assert code == EXIT_IO
    assert "cannot read" in err


def test_empty_and_header_only_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    code, _, err = run([*base(empty), "--group", "sex", "--threshold", "0.5"], capsys)
    assert code == EXIT_INVALID_INPUT
    assert "is empty" in err
    header = tmp_path / "header.csv"
    header.write_text("risk,outcome,sex\n", encoding="utf-8")
    code, _, err = run([*base(header), "--group", "sex", "--threshold", "0.5"], capsys)
    assert code == EXIT_INVALID_INPUT
    assert "no rows" in err


def test_unwritable_html(
    scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*base(scores_csv), "--group", "sex", "--threshold", "0.5",
            "--html", str(tmp_path / "no" / "such" / "dir" / "r.html")]  # fmt: skip
    code, out, err = run(argv, capsys)
    assert code == EXIT_IO
    assert "cannot write" in err
    assert out == ""


def test_risk_score_gives_auc_and_calibration_for_flags(
    scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pl.read_csv(scores_csv).with_columns(
        (pl.col("risk") >= 0.6).cast(pl.Int64).alias("flagged")
    )
    path = tmp_path / "flags.csv"
    frame.write_csv(path)
    argv = [
        "audit", "--scores", str(path), "--score", "flagged", "--risk-score", "risk",
        "--label", "outcome", "--group", "sex", "--threshold", "1", "--bootstrap", "50",
    ]  # fmt: skip
    code, out, _ = run(argv, capsys)
    assert code == EXIT_OK
    document = strict(out)
    assert document["scores"]["risk_score"] == "risk"
    female = next(g for g in document["scores"]["groups"] if g["group"] == "F")
    assert 0.5 < female["roc_auc"] < 1  # the risk score ranks; a 0/1 flag would rank less
    assert female["ci"]["roc_auc"][0] < female["roc_auc"] < female["ci"]["roc_auc"][1]
    assert document["summaries"][0]["all_groups_ci"]["demographic_parity_difference"]
    code, _, err = run([*argv[:6], "missing", *argv[7:]], capsys)
    assert code == EXIT_INVALID_INPUT
    assert "'missing'" in err
