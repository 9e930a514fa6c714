"""A whole run on a small synthetic dataset: determinism, the bundle schema, the gate."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

import pytest

from whatworks_analytics.pilots.bundle import ResultBundle, bundle_json, load_bundle
from whatworks_analytics.pilots.config import ExperimentConfig, config_hash, parse_config
from whatworks_analytics.pilots.ethics import QUESTION_IDS
from whatworks_analytics.pilots.run import RunResult, run
from whatworks_analytics.pilots.synth import GroupSpec, SynthConfig, generate
from whatworks_analytics.pilots.validate import PilotDataset


@lru_cache(maxsize=2)
def dataset(bias: bool = False) -> PilotDataset:
    return generate(
        SynthConfig(
            referrals=2500,
            years=5,
            seed=5,
            bias_against=GroupSpec(column="ethnicity", code="black") if bias else None,
        )
    )


def make_config(**overrides: Any) -> ExperimentConfig:
    raw: dict[str, Any] = {
        "config_version": 1,
        "name": "test run",
        "seed": 3,
        "models": [
            {"name": "baseline", "kind": "baseline"},
            {"name": "logistic", "kind": "logistic"},
            {"name": "lightgbm", "kind": "lightgbm", "params": {"n_estimators": 30}},
        ],
        "splits": {"n_splits": 3, "test_days": 182, "kfold": 3, "min_train_rows": 100},
        "operating_point": {"top_percent": 10},
        "fairness": {"action": "assistive", "min_group_size": 30, "min_denominator": 5},
        "bootstrap": {"replicates": 50},
    }
    raw.update(overrides)
    return parse_config(raw)


@lru_cache(maxsize=1)
def default_run() -> RunResult:
    return run(make_config(), dataset())


def test_same_data_config_and_seed_give_identical_bundles() -> None:
    first = default_run().to_json()
    second = run(make_config(), dataset()).to_json()
    assert first == second


def test_renaming_every_identifier_changes_no_number() -> None:
    """Issue #13, item 5: the platform pseudonymises ids, offline runs keep the authority's;
    both must see the same rows in the same order, so every number agrees (LightGBM's
    binning and the k-fold folds follow row order)."""
    import hashlib

    import polars as pl

    from whatworks_analytics.pilots.schema import CONTRACT, ColumnKind

    def renamed(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()[:16]

    original = dataset()
    frames = {}
    for table in CONTRACT.tables:
        ids = [c.name for c in table.columns if c.kind == ColumnKind.ID]
        frames[table.name] = original.table(table.name).with_columns(
            pl.col(c).map_elements(renamed, return_dtype=pl.String) for c in ids
        )
    other = run(make_config(), PilotDataset.from_frames(frames)).bundle.model_dump(mode="json")
    first = default_run().bundle.model_dump(mode="json")
    assert other["data"].pop("fingerprint") != first["data"].pop("fingerprint")
    assert other == first


def test_bundle_matches_its_schema_and_round_trips() -> None:
    result = default_run()
    text = result.to_json()
    loaded = load_bundle(text)
    assert isinstance(loaded, ResultBundle)
    assert bundle_json(loaded) == text
    b = result.bundle
    assert b.config_hash == config_hash(make_config())
    assert len(b.data.fingerprint) == 64
    assert b.package == "whatworks-analytics"
    assert b.seed == 3


def test_the_canonical_text_is_the_standard_librarys_indented_json() -> None:
    """``bundle_json`` writes its text without ``json.dumps`` (whose indented encoder is
    pure Python and slow); the text must be the same, character for character."""
    import json

    from whatworks_analytics.pilots.bundle import _canonical_text

    data = json.loads(default_run().to_json())
    odd = {'é ü \u2014 "quoted"\n': [[], {}, [1, 2.5e-07, -0.0, 1e16]], "b": True, "a": None}
    values: tuple[object, ...] = (data, odd, [], {}, 3, "x")
    for value in values:
        expected = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
        assert _canonical_text(value) == expected
    with pytest.raises(ValueError, match="not JSON compliant"):
        _canonical_text([float("nan")])


def test_every_model_is_reported_per_split_pooled_and_by_kfold() -> None:
    b = default_run().bundle
    used = [s.index for s in b.splits if s.used]
    assert used, b.splits
    for model in ("baseline", "logistic", "lightgbm"):
        for split in used:
            b.result(model, split=split)
        pooled = b.result(model)
        assert pooled.metrics.n == sum(s.n_test for s in b.splits if s.used)
        b.result(model, evaluation="kfold")
        assert b.curves[model].roc
    assert {x.model for x in b.lift} == {"logistic", "lightgbm"}
    assert {x.model for x in b.optimism} == {"baseline", "logistic", "lightgbm"}
    # The synthetic signal is modest: no model is near perfect.
    for model in ("logistic", "lightgbm"):
        auc = b.result(model).metrics.roc_auc.value
        assert auc is not None and 0.55 < auc < 0.9


def test_training_labels_never_cross_the_split_date() -> None:
    b = default_run().bundle
    window = timedelta(days=b.config["outcome"]["window_days"])
    for s in b.splits:
        last_training_decision = s.train_decisions_before - timedelta(days=1)
        assert last_training_decision + window <= s.split_date
        assert s.test_end - timedelta(days=1) + window <= b.data.label_end


def test_fairness_and_circumstances_are_reported() -> None:
    b = default_run().bundle
    assert b.fairness is not None
    attributes = {a["attribute"] for a in b.fairness["attributes"]}
    assert {"ethnicity", "sex", "age_band", "disability"} <= attributes
    dims = {c.dimension for c in b.circumstances}
    assert dims == {"referral source", "age band", "prior involvement", "test period"}
    assert {c.attribute for c in b.verdict.fairness_checks} == {
        "ethnicity",
        "sex",
        "age_band",
        "disability",
    }


def test_progress_is_reported_up_to_one() -> None:
    seen: list[tuple[str, float]] = []
    run(
        make_config(splits={"n_splits": 2, "kfold": 0, "min_train_rows": 100}),
        dataset(),
        progress=lambda step, fraction: seen.append((step, fraction)),
    )
    fractions = [f for _s, f in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


EASY = {
    "success": {"criteria": [{"metric": "roc_auc", "op": ">=", "value": 0.0}]},
    "fairness": {
        "action": "assistive",
        "band": {"low": 0.01, "high": 100},
        "min_group_size": 30,
        "min_denominator": 5,
    },
    "splits": {"n_splits": 2, "kfold": 0, "min_train_rows": 100},
}


def test_the_ethics_gate_decides_whether_the_verdict_can_support_use() -> None:
    all_yes = {q: {"answer": "yes"} for q in QUESTION_IDS}
    passed = run(make_config(**EASY, ethics=all_yes), dataset()).bundle.verdict
    assert passed.status == "supports_use", passed.sentence
    one_short = dict(all_yes, independent_review={"answer": "partly"})
    blocked = run(make_config(**EASY, ethics=one_short), dataset()).bundle.verdict
    assert blocked.status == "ethics_gate_not_passed"
    assert not blocked.ethics_passed
    assert not blocked.sentence.startswith("The evidence supports use")


def test_bias_against_a_group_is_found_by_the_audit() -> None:
    config = make_config(
        fairness={
            "action": "punitive",
            "min_group_size": 30,
            "min_denominator": 5,
            "reference": {"ethnicity": "white"},
        },
        splits={"n_splits": 2, "kfold": 0, "min_train_rows": 100},
    )
    b = run(config, dataset(bias=True)).bundle
    assert b.fairness is not None
    black = next(
        g for g in b.fairness["groups"] if g["attribute"] == "ethnicity" and g["group"] == "black"
    )
    assert black["disparity"]["selection_rate"] > 1.0


def test_a_dataset_too_short_for_any_split_still_gives_a_bundle() -> None:
    short = generate(SynthConfig(referrals=400, years=1, seed=1))
    b = run(make_config(), short).bundle
    assert not any(s.used for s in b.splits)
    assert any("no temporal split" in w for w in b.warnings)
    assert b.verdict.status == "inconclusive"


@pytest.mark.parametrize("field", ["precision", "recall", "roc_auc"])
def test_lift_is_model_minus_baseline(field: str) -> None:
    b = default_run().bundle
    base = b.result("baseline").metrics
    for item in b.lift:
        if item.metric == field:
            assert item.baseline == getattr(base, field).value
            assert item.value is not None and item.baseline is not None
            assert item.lift == pytest.approx(item.value - item.baseline, abs=1e-9)


# --- issue #19: k-fold on the same rows, the comparison at the same volume, importance


def test_kfold_is_scored_on_exactly_the_temporal_test_rows() -> None:
    bundle = default_run().bundle
    assert bundle.optimism_rows == "temporal_test"
    for spec in bundle.config["models"]:
        temporal = bundle.result(spec["name"]).metrics
        kfold = bundle.result(spec["name"], evaluation="kfold").metrics
        # Same referrals, so the same count, the same positives and the same base rate.
        assert (kfold.n, kfold.positives) == (temporal.n, temporal.positives)
        assert kfold.n == sum(s.n_test for s in bundle.splits if s.used)
        # The same operating point: top 10% of the same rows (ties all flagged).
        assert kfold.flagged >= round(0.1 * kfold.n) - 1


def test_kfold_on_the_same_rows_with_a_model_that_cannot_learn_from_the_future() -> None:
    """The baseline's score is a monotone step of the prior-referral count: on the same
    rows, any fitted baseline ranks alike wherever its steps increase, so its temporal and
    k-fold ROC AUC can differ only through flat steps -- far less than the models'."""
    bundle = default_run().bundle
    rows = {(r.model, r.metric): r for r in bundle.optimism}
    base = rows[("baseline", "roc_auc")]
    assert base.difference is not None and abs(base.difference) < 0.03


def test_models_are_compared_with_the_baseline_at_its_own_flag_volume() -> None:
    bundle = default_run().bundle
    c = bundle.comparison
    assert c is not None and c.baseline == "baseline"
    base = bundle.result("baseline").metrics
    assert (c.n, c.baseline_flagged) == (base.n, base.flagged)
    for row in c.rows:
        if row.metric == "flag_rate":
            # Each model flags as many referrals as the baseline did (ties aside).
            assert row.value == pytest.approx(row.baseline, abs=0.01)
        if row.metric in ("roc_auc", "average_precision"):
            # Volume-free metrics are the pooled ones.
            pooled = getattr(bundle.result(row.model).metrics, row.metric).value
            assert row.value == pytest.approx(pooled)
        assert row.difference.value == pytest.approx((row.value or 0) - (row.baseline or 0))
        assert row.difference.low is not None and row.difference.high is not None


def test_permutation_importance_of_the_baseline_sees_only_prior_referrals() -> None:
    """The baseline scores by the prior-referral count alone: shuffling any other feature
    changes no score, so its fall in ROC AUC is exactly 0 and no flag is lost."""
    config = make_config(
        success={"model": "baseline", "criteria": [{"metric": "roc_auc", "op": ">=", "value": 0.5}]}
    )
    bundle = run(config, dataset()).bundle
    imp = bundle.importance
    assert imp is not None and imp.model == "baseline"
    assert imp.n == bundle.result("baseline").metrics.n
    by_name = {r.feature: r for r in imp.features}
    assert by_name["prior_referrals"].roc_auc_drop is not None
    assert by_name["prior_referrals"].roc_auc_drop > 0.02
    for name, row in by_name.items():
        if name != "prior_referrals":
            assert row.roc_auc_drop == 0 and row.flags_lost == 0, name
    # One-hot columns of the referral source are shuffled as one feature.
    assert by_name["source"].columns == [f for f in bundle.features if f.startswith("source_")]
    assert imp.features[0].feature == "prior_referrals"
