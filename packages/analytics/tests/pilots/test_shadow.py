"""Shadow mode end to end: freeze a run's model, score a later extract, evaluate the
recorded scores when their outcomes are known (``run --save-model``, ``score``,
``evaluate``), and the two properties that make it honest:

* the scores written are the frozen model's own predictions, to the last bit;
* no score uses a fact dated on or after its referral: scoring a referral from the data
  cut at its referral date gives the same score as scoring it from the whole extract.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_OK, main
from whatworks_analytics.pilots.features import build_features
from whatworks_analytics.pilots.labels import data_end, decision_points
from whatworks_analytics.pilots.models import score
from whatworks_analytics.pilots.shadow import (
    META_NAME,
    MODEL_NAME,
    ShadowError,
    load_model,
    score_referrals,
)
from whatworks_analytics.pilots.synth import SynthConfig, generate, write_dataset
from whatworks_analytics.pilots.synth import extract_as_of as cut
from whatworks_analytics.pilots.validate import PilotDataset, load_dataset

CONFIG = {
    "config_version": 1,
    "name": "shadow test",
    "seed": 8,
    "models": [
        {"name": "baseline", "kind": "baseline"},
        {"name": "lightgbm", "kind": "lightgbm", "params": {"n_estimators": 30}},
    ],
    "splits": {"n_splits": 2, "test_days": 182, "kfold": 0, "min_train_rows": 100},
    "operating_point": {"top_percent": 10},
    "success": {"model": "lightgbm", "criteria": [{"metric": "recall", "op": ">=", "value": 0.3}]},
    "fairness": {"action": "assistive", "min_group_size": 30, "min_denominator": 5},
    "bootstrap": {"replicates": 40},
}


@lru_cache(maxsize=1)
def full() -> PilotDataset:
    return generate(SynthConfig(referrals=3000, years=6, seed=21))


def freeze_date() -> date:
    return data_end(full()) - timedelta(days=730)


@pytest.fixture(scope="module")
def shadow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Freeze on the extract as held two years before its end; score the year after the
    freeze from the extract a year later; evaluate from the whole extract."""
    root = tmp_path_factory.mktemp("shadow")
    paths = {
        "config": root / "config.yaml",
        "held": root / "held",
        "later": root / "later",
        "full": root / "full",
        "out": root / "out",
        "model": root / "model",
        "scores": root / "scores.csv",
        "forward": root / "forward",
    }
    paths["config"].write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    write_dataset(cut(full(), freeze_date()), paths["held"])
    write_dataset(cut(full(), freeze_date() + timedelta(days=365)), paths["later"])
    write_dataset(full(), paths["full"])
    argv = ["run", str(paths["config"]), "--data", str(paths["held"]), "--out", str(paths["out"])]
    assert main([*argv, "--quiet", "--save-model", str(paths["model"])]) == EXIT_OK
    argv = ["score", str(paths["model"]), "--data", str(paths["later"]), "--out"]
    assert main([*argv, str(paths["scores"])]) == EXIT_OK
    argv = ["evaluate", str(paths["model"]), "--scores", str(paths["scores"])]
    assert main([*argv, "--data", str(paths["full"]), "--out", str(paths["forward"])]) == EXIT_OK
    return paths


def read_scores(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, schema_overrides={"referral_id": pl.String, "model": pl.String})


def test_the_model_folder_records_what_was_frozen(shadow: dict[str, Path]) -> None:
    meta = json.loads((shadow["model"] / META_NAME).read_text())
    bundle = json.loads((shadow["out"] / "bundle.json").read_text())
    assert meta["config_hash"] == bundle["config_hash"]
    assert meta["data_fingerprint"] == bundle["data"]["fingerprint"]
    assert meta["model"] == "lightgbm" and meta["features"] == bundle["features"]
    pooled = next(
        r["metrics"]
        for r in bundle["results"]
        if r["model"] == "lightgbm" and r["evaluation"] == "temporal" and r["split"] is None
    )
    assert meta["validation"]["precision"] == pooled["precision"]
    assert meta["label_end"] <= freeze_date().isoformat()
    # Private: the folder is its owner's only, and so is every file in it.
    assert stat.S_IMODE(os.stat(shadow["model"]).st_mode) == 0o700
    for name in (META_NAME, MODEL_NAME):
        assert stat.S_IMODE(os.stat(shadow["model"] / name).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(shadow["scores"]).st_mode) == 0o600


def test_scores_are_the_frozen_models_own_predictions(shadow: dict[str, Path]) -> None:
    frozen = load_model(shadow["model"])
    later = load_dataset(shadow["later"])
    written = read_scores(shadow["scores"])
    start = date.fromisoformat(frozen.meta["label_end"])
    assert written.height > 100
    earliest = written["decision_date"].str.to_date().min()
    assert isinstance(earliest, date) and earliest >= start  # only referrals after freezing
    # The model's predictions on the features of those referrals, computed here directly.
    points = decision_points(later, frozen.config.cohort).filter(pl.col("decision_date") >= start)
    X = build_features(points, later, frozen.config.features).values
    expected = score(frozen.estimator, X)
    by_id = dict(zip(points["referral_id"].to_list(), expected.tolist(), strict=True))
    got = dict(zip(written["referral_id"].to_list(), written["score"].to_list(), strict=True))
    assert got == by_id  # exactly: 17 significant digits round-trip a float
    cutoff = frozen.meta["flag_threshold"]
    assert written["flag"].to_list() == [s >= cutoff for s in written["score"].to_list()]


def test_no_score_uses_a_fact_dated_on_or_after_its_referral(shadow: dict[str, Path]) -> None:
    """Each of 40 scored referrals is scored again from the extract cut at its own date
    (keeping only that referral of the day): the score is the same."""
    frozen = load_model(shadow["model"])
    written = read_scores(shadow["scores"])
    rng = np.random.default_rng(0)
    picked = rng.choice(written.height, size=40, replace=False)
    for i in picked.tolist():
        row = written.row(i, named=True)
        day = date.fromisoformat(row["decision_date"])
        alone = cut(full(), day, keep_referral=row["referral_id"])
        again = score_referrals(frozen, alone, since=day).filter(
            pl.col("referral_id") == row["referral_id"]
        )
        assert again.height == 1
        assert again["score"][0] == row["score"], row["referral_id"]


def test_forward_evaluation_compares_with_the_temporal_validation(
    shadow: dict[str, Path],
) -> None:
    result = json.loads((shadow["forward"] / "forward.json").read_text())
    written = read_scores(shadow["scores"])
    assert result["scored"] == written.height
    assert result["matured"] + result["pending"] + result["not_found"] == result["scored"]
    assert result["matured"] > 100 and result["not_found"] == 0
    m = result["metrics"]
    assert m["n"] == result["matured"] and m["tp"] + m["fp"] == m["flagged"]
    meta = json.loads((shadow["model"] / META_NAME).read_text())
    rows = {r["metric"]: r for r in result["comparison"]}
    assert rows["precision"]["validated"] == meta["validation"]["precision"]
    assert "validated at" in rows["precision"]["sentence"]
    assert "achieved" in rows["precision"]["sentence"]
    assert result["fairness"] is not None and result["fairness"]["n"] == result["matured"]


def test_a_changed_model_file_is_refused(shadow: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "model"
    copy.mkdir()
    (copy / META_NAME).write_bytes((shadow["model"] / META_NAME).read_bytes())
    (copy / MODEL_NAME).write_bytes((shadow["model"] / MODEL_NAME).read_bytes() + b"\0")
    with pytest.raises(ShadowError, match="changed after the model was frozen"):
        load_model(copy)
    out = tmp_path / "s.csv"
    argv = ["score", str(copy), "--data", str(shadow["later"]), "--out", str(out)]
    assert main(argv) == EXIT_INVALID_INPUT and not out.exists()


def test_scores_of_another_model_are_refused(shadow: dict[str, Path], tmp_path: Path) -> None:
    other = read_scores(shadow["scores"]).with_columns(pl.lit("0123456789ab").alias("model"))
    path = tmp_path / "other.csv"
    other.write_csv(path)
    argv = ["evaluate", str(shadow["model"]), "--scores", str(path)]
    argv += ["--data", str(shadow["full"]), "--out", str(tmp_path / "f")]
    assert main(argv) == EXIT_INVALID_INPUT
