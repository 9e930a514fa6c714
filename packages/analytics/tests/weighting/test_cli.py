"""``whatworks-analytics weight`` end to end through ``main([...])``.

Expected values: the Klemens (2012) table, whose raked cells have a closed form (see
test_raking.py for the source and the derivation).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, EXIT_USAGE, main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["weight", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    rows = ["id,row,col"]
    index = 0
    for (r, c), count in {
        ("r1", "c1"): 7,
        ("r1", "c2"): 9,
        ("r2", "c1"): 12,
        ("r2", "c2"): 7,
    }.items():
        for _ in range(count):
            index += 1
            rows.append(f"{index},{r},{c}")
    # shuffle the order deterministically so that "input order" is tested
    body = rows[1:]
    body = body[::2] + body[1::2]
    sample = tmp_path / "sample.csv"
    sample.write_text("\n".join([rows[0], *body]) + "\n", encoding="utf-8")
    targets = tmp_path / "targets.json"
    targets.write_text(
        json.dumps({"row": {"r1": 0.25, "r2": 0.75}, "col": {"c1": 0.5, "c2": 0.5}}),
        encoding="utf-8",
    )
    return str(sample), str(targets)


def test_prints_weights_in_input_order_and_diagnostics(
    capsys: pytest.CaptureFixture[str], files: tuple[str, str]
) -> None:
    sample, targets = files
    code, out, err = run(capsys, "--sample", sample, "--targets", targets, "--population", "20")
    assert (code, err) == (EXIT_OK, "")
    data = json.loads(out)
    assert len(data["weights"]) == 35
    assert sum(data["weights"]) == pytest.approx(20)
    lines = Path(sample).read_text(encoding="utf-8").splitlines()[1:]
    cell: dict[tuple[str, str], float] = {}
    for line, weight in zip(lines, data["weights"], strict=True):
        _, r, c = line.split(",")
        cell[(r, c)] = cell.get((r, c), 0.0) + weight
    t = (-1275 + math.sqrt(1275**2 + 4 * 59 * 2450)) / (2 * 59)
    assert cell[("r1", "c1")] == pytest.approx(t, abs=1e-4)
    diagnostics = data["diagnostics"]
    assert set(diagnostics) >= {
        "design_effect", "effective_sample_size", "iterations", "converged", "max_margin_error",
    }  # fmt: skip
    assert diagnostics["converged"] is True
    assert diagnostics["effective_sample_size"] == pytest.approx(35 / diagnostics["design_effect"])


def test_mean_one_by_default_and_trim(
    capsys: pytest.CaptureFixture[str], files: tuple[str, str]
) -> None:
    sample, targets = files
    code, out, _ = run(capsys, "--sample", sample, "--targets", targets, "--trim", "1.5")
    assert code == EXIT_OK
    data = json.loads(out)
    assert sum(data["weights"]) / 35 == pytest.approx(1.0)
    assert max(data["weights"]) <= 1.5 + 1e-9
    assert data["diagnostics"]["trim"] == 1.5


def test_empty_target_level_is_a_problem(
    capsys: pytest.CaptureFixture[str], files: tuple[str, str], tmp_path: Path
) -> None:
    sample, _ = files
    targets = tmp_path / "t.json"
    targets.write_text(json.dumps({"row": {"r1": 0.2, "r2": 0.6, "r3": 0.2}, "sex": {"f": 1}}))
    code, out, err = run(capsys, "--sample", sample, "--targets", str(targets))
    assert code == EXIT_INVALID_INPUT
    assert out == ""
    assert "sex: no such column in the sample" in err


def test_empty_level_reported(
    capsys: pytest.CaptureFixture[str], files: tuple[str, str], tmp_path: Path
) -> None:
    sample, _ = files
    targets = tmp_path / "t.json"
    targets.write_text(json.dumps({"row": {"r1": 0.2, "r2": 0.6, "r3": 0.2}}))
    code, _, err = run(capsys, "--sample", sample, "--targets", str(targets))
    assert code == EXIT_INVALID_INPUT
    assert "row: no respondents in target level(s) r3" in err


def test_unreadable_files(
    capsys: pytest.CaptureFixture[str], files: tuple[str, str], tmp_path: Path
) -> None:
    sample, targets = files
    code, _, err = run(capsys, "--sample", str(tmp_path / "nope.csv"), "--targets", targets)
    assert code == EXIT_IO and "cannot read" in err
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    code, _, err = run(capsys, "--sample", sample, "--targets", str(bad))
    assert code == EXIT_INVALID_INPUT
    code, _, err = run(capsys, "--sample", sample, "--targets", targets, "--trim", "0.5")
    assert code == EXIT_USAGE  # an option value out of its range
    assert err == "whatworks-analytics weight: error: --trim must be a number above 1 (got 0.5)\n"
    argv = ["--sample", sample, "--targets", targets, "--method", "linear", "--bounds", "2,3"]
    code, _, err = run(capsys, *argv, "--population", "-5")
    assert code == EXIT_USAGE
    assert err.splitlines() == [
        "whatworks-analytics weight: error: --population must be a positive number (got -5)",
        "whatworks-analytics weight: error: --bounds must satisfy LOWER < 1 < UPPER (got 2,3)",
    ]


REFERENCE = Path(__file__).parents[1] / "reference"
APISTRAT = str(REFERENCE / "survey-data" / "apistrat.csv")
API_TARGETS = str(REFERENCE / "survey-data" / "apistrat-targets.json")


def test_a_cap_that_cannot_be_met_says_so_and_exits_non_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 71% of the population but 50% of the sample are elementary schools: their weights
    # must average about 1.43, so a cap of 1.2 times the mean cannot be met.
    code, out, err = run(capsys, "--sample", APISTRAT, "--targets", API_TARGETS, "--trim", "1.2")
    assert code == EXIT_INVALID_INPUT
    assert json.loads(out)["diagnostics"]["converged"] is False
    assert err.startswith(
        f"whatworks-analytics weight: warning: {APISTRAT}: weighting did not converge with "
        "weights capped"
    )
    code, out, err = run(capsys, "--sample", APISTRAT, "--targets", API_TARGETS, "--trim", "1.5")
    assert (code, err) == (EXIT_OK, "")


def test_calibration_methods_and_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    # survey::calibrate(calfun="logit", bounds=c(0.487, 1.5)) (tests/reference/survey.json).
    expected = json.loads((REFERENCE / "survey.json").read_text())["logit_bounded"]
    code, out, err = run(
        capsys, "--sample", APISTRAT, "--targets", API_TARGETS, "--method", "logit",
        "--bounds", "0.487,1.5",
    )  # fmt: skip
    assert (code, err) == (EXIT_OK, "")
    assert json.loads(out)["weights"] == pytest.approx(expected, rel=1e-6)
    code, _, err = run(
        capsys, "--sample", APISTRAT, "--targets", API_TARGETS, "--bounds", "0.49,1.42",
        "--method", "linear",
    )  # fmt: skip
    assert code == EXIT_INVALID_INPUT and "weighting did not converge" in err
    code, _, err = run(capsys, "--sample", APISTRAT, "--targets", API_TARGETS, "--bounds", "1,2")
    assert code == 2 and "--bounds applies to calibration" in err
    with pytest.raises(SystemExit) as caught:
        main(["weight", "--sample", APISTRAT, "--targets", API_TARGETS, "--bounds", "x"])
    assert caught.value.code == 2
