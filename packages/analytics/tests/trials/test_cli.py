"""The ``power`` and ``trial`` commands: the JSON forms the issue names, and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, EXIT_USAGE, main

DATA = Path(__file__).parents[1] / "reference" / "trials-data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def test_power_sample_size(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(
        capsys,
        "power",
        "--design",
        "individual",
        "--mdes",
        "0.5",
        "--power",
        "0.8",
        "--alpha",
        "0.05",
    )
    assert code == EXIT_OK
    assert data["n_per_arm"] == 64


def test_power_for_a_sample(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(
        capsys,
        "power",
        "--design",
        "individual",
        "--n-per-arm",
        "64",
        "--effect",
        "0.5",
        "--alpha",
        "0.05",
    )
    assert code == EXIT_OK
    assert round(float(data["power"]), 4) == 0.8015


def test_power_cluster_mdes(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(
        capsys,
        "power",
        "--design",
        "cluster",
        "--clusters",
        "40",
        "--cluster-size",
        "25",
        "--icc",
        "0.2",
        "--power",
        "0.8",
        "--alpha",
        "0.05",
    )
    assert code == EXIT_OK
    assert round(float(data["mdes"]), 4) == 0.4380
    assert data["df"] == 38


def test_power_refuses_an_incomplete_question(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "power", "--design", "cluster", "--clusters", "40", "--power", "0.8")
    assert code == EXIT_USAGE
    assert "--cluster-size, --icc" in err


def test_power_lists_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "power", "--design", "individual", "--mdes", "0", "--power", "2")
    assert code == EXIT_INVALID_INPUT
    assert err.count("error:") == 2


def test_trial_prints_the_estimate_flow_and_rating(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(
        capsys,
        "trial",
        str(DATA / "star.csv"),
        "--arm",
        "arm",
        "--treatment",
        "sfsp",
        "--control",
        "ssp",
        "--outcome",
        "GPA_year2",
        "--covariate",
        "gpa0",
    )
    assert code == EXIT_OK
    for key in (
        "n",
        "n_treatment",
        "n_control",
        "clusters",
        "estimate",
        "se",
        "df",
        "t",
        "p",
        "ci_low",
        "ci_high",
        "se_type",
        "hedges_g",
        "flow",
        "baseline",
        "security",
    ):
        assert key in data
    assert data["n"] == 140 and data["se_type"] == "HC2" and data["clusters"] is None
    flow = data["flow"]
    assert isinstance(flow, dict) and flow["treatment"]["lost"] + flow["control"]["lost"] == 17
    assert isinstance(data["security"], dict) and "padlocks" in data["security"]


def test_trial_lists_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "trial",
        str(DATA / "star.csv"),
        "--arm",
        "arm",
        "--treatment",
        "sfsp",
        "--control",
        "none",
        "--outcome",
        "nothing",
    )
    assert code == EXIT_INVALID_INPUT
    assert "no column 'nothing'" in err and "control value 'none'" in err


def test_trial_cannot_read_a_missing_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys,
        "trial",
        str(tmp_path / "absent.csv"),
        "--arm",
        "a",
        "--treatment",
        "1",
        "--control",
        "0",
        "--outcome",
        "y",
    )
    assert code == EXIT_IO
    assert "cannot read" in err
