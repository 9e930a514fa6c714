"""Running a registered plan and checking its bundle (the offline path of issue #18)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_OK, main
from whatworks_analytics.trials import TrialInputError
from whatworks_analytics.trials.bundle import (
    check_bundle,
    data_fingerprint,
    plan_from_version,
    plan_sha256,
    read_data_csv,
    run_plan,
)

DATA = Path(__file__).parents[1] / "reference" / "trials-data"


def plan() -> dict[str, Any]:
    common = {
        "arm_variable": "arm",
        "treatment": "sfsp",
        "control": "ssp",
        "covariates": ["gpa0"],
        "cluster_variable": None,
        "block_variable": None,
        "se_type": "HC2",
        "alpha": 0.05,
        "sidedness": "two-sided",
    }
    return {
        "design": "individual",
        "estimand": "itt",
        "outcomes": [
            {"outcome": "gpa", "variable": "GPA_year2", "type": "continuous",
             "effect_size": "hedges_g", **common},
            {"outcome": "standing", "variable": "good_standing", "type": "binary",
             "effect_size": "risk_difference", **common},
        ],
    }  # fmt: skip


def star() -> pl.DataFrame:
    return pl.read_csv(DATA / "star.csv", null_values=[""])


def test_a_bundle_carries_the_plan_data_and_every_number() -> None:
    bundle = run_plan(plan(), star(), project="WWC-2026-0001", protocol_version=1)
    assert bundle["plan_sha256"] == plan_sha256(plan())
    assert bundle["data"]["fingerprint"] == data_fingerprint(star())
    gpa, standing = bundle["results"]
    assert gpa["statistic"] == "Hedges' g" and gpa["n"] == 140
    # The registered statistic is judged on its interval, so it is not also a metric.
    assert standing["statistic"] == "risk difference"
    assert "risk difference" not in standing["metrics"]
    assert bundle["plan_sha256"] in gpa["note"]
    assert check_bundle(json.loads(json.dumps(bundle))) == []


def test_the_fingerprint_ignores_row_and_column_order() -> None:
    frame = star()
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=1).select(frame.columns[::-1])
    assert data_fingerprint(shuffled) == data_fingerprint(frame)
    assert data_fingerprint(frame.head(100)) != data_fingerprint(frame)


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("outcomes", 0, "result", "estimate"), 0.5, "t is not the estimate"),
        (("outcomes", 0, "result", "flow", "treatment", "lost"), 0, "flow does not add up"),
        (("outcomes", 0, "spec", "covariates"), [], "not analysed as the plan says"),
        (("plan", "outcomes", 0, "covariates"), [], "plan's SHA-256"),
        (("results", 0, "estimate"), 9.0, "registry rows do not follow"),
    ],
)
def test_a_tampered_bundle_is_caught(path: tuple[Any, ...], value: Any, problem: str) -> None:
    bundle = copy.deepcopy(run_plan(plan(), star()))
    target: Any = bundle
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert any(problem in p for p in check_bundle(bundle)), check_bundle(bundle)


def test_every_outcome_problem_is_listed() -> None:
    bad = plan()
    bad["outcomes"][0]["variable"] = "nothing"
    bad["outcomes"][1]["treatment"] = "none"
    with pytest.raises(TrialInputError) as caught:
        run_plan(bad, star())
    assert any(p.startswith("gpa:") for p in caught.value.problems)
    assert any(p.startswith("standing:") for p in caught.value.problems)


def test_an_altered_version_is_refused() -> None:
    content = {"title": "STAR", "trial_analysis": plan()}
    import hashlib

    from whatworks_analytics.trials.bundle import canonical_json

    sha = hashlib.sha256(canonical_json(content)).hexdigest()
    assert (
        plan_from_version({"id": "X", "version": 1, "content": content, "sha256": sha})[1][
            "version_sha256"
        ]
        == sha
    )
    with pytest.raises(TrialInputError, match="altered"):
        plan_from_version({"content": content, "sha256": "0" * 64})


def test_the_commands_write_and_check_a_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    version = tmp_path / "v1.json"
    content = {"title": "STAR", "trial_analysis": plan()}
    version.write_text(json.dumps({"id": "WWC-2026-0001", "version": 1, "content": content}))
    out = tmp_path / "bundle.json"
    assert main(["trial-plan", str(version), str(DATA / "star.csv"), "--out", str(out)]) == EXIT_OK
    assert main(["trial-check", str(out)]) == EXIT_OK
    bundle = json.loads(out.read_text())
    bundle["outcomes"][0]["result"]["p"] = 0.001
    out.write_text(json.dumps(bundle))
    capsys.readouterr()
    assert main(["trial-check", str(out)]) == EXIT_INVALID_INPUT
    assert "p-value does not follow" in capsys.readouterr().err


def test_a_kept_copy_records_the_fingerprint_of_the_file_as_uploaded() -> None:
    # The platform keeps only the plan's columns; the bundle states the upload's fingerprint
    # (the one ``trial-plan`` states for the whole file), and the numbers are unchanged.
    whole = read_data_csv(DATA / "star.csv")
    kept = whole.select(["arm", "GPA_year2", "good_standing", "gpa0"])
    bundle = run_plan(plan(), kept, fingerprint=data_fingerprint(whole))
    assert bundle["data"]["fingerprint"] == data_fingerprint(whole) != data_fingerprint(kept)
    assert data_fingerprint(whole) in bundle["results"][0]["note"]
    assert bundle["outcomes"] == run_plan(plan(), whole)["outcomes"]
    assert check_bundle(json.loads(json.dumps(bundle))) == []
