"""Orchestration of a pilot run: *what* is computed, step by step, serially.

``validate -> decision points and labels -> temporal splits -> features -> fit every model per
split -> metrics per split and pooled -> random k-fold CV beside it -> fairness audit ->
circumstances -> ethics gate -> verdict -> bundle``.

:func:`run` takes a parsed config and a loaded dataset and returns a :class:`RunResult`: the
:class:`~.bundle.ResultBundle` (deterministic: same data, config and seed give the same
bundle) and, beside it, the wall-clock timings (never in the bundle).  :func:`run_folder`
validates a dataset folder first.  ``progress(step, fraction)`` is called as the run
advances, for a progress bar or the platform's task status.

Seeds: every random choice (bootstrap replicates, k-fold shuffling, LightGBM's sampling) is
derived from ``config.seed`` and the name of what it is for, so adding a model does not
change another model's intervals.
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from whatworks_analytics import __version__
from whatworks_analytics.fairness.audit import AuditConfig, AuditInputError, FlagRule, audit_frame
from whatworks_analytics.fairness.bootstrap import BootstrapSettings
from whatworks_analytics.fairness.disparities import Band, ReferenceRule, SizeRule
from whatworks_analytics.pilots.bundle import (
    BUNDLE_VERSION,
    ResultBundle,
    bundle_json,
    data_fingerprint,
    round_floats,
)
from whatworks_analytics.pilots.circumstances import performance_by, prior_involvement
from whatworks_analytics.pilots.config import ExperimentConfig, config_hash
from whatworks_analytics.pilots.ethics import ethics_gate
from whatworks_analytics.pilots.features import age_band, build_features, feature_groups
from whatworks_analytics.pilots.labels import data_end, decision_points, label_points
from whatworks_analytics.pilots.metrics import (
    Metrics,
    curve_points,
    evaluate,
    flags_top_k,
    operating_flags,
    paired_differences,
    weighted_metrics,
)
from whatworks_analytics.pilots.models import make_model, score, used_columns
from whatworks_analytics.pilots.splits import TemporalSplit, temporal_splits
from whatworks_analytics.pilots.validate import PilotDataset, load_dataset
from whatworks_analytics.pilots.verdict import decide, fairness_checks

ProgressCallback = Callable[[str, float], None]

LIFT_METRICS = ("precision", "recall", "roc_auc", "average_precision")


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """The bundle and, outside it, how long each step took (seconds)."""

    bundle: ResultBundle
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return bundle_json(self.bundle)


def derived_seed(seed: int, *parts: object) -> int:
    """A seed for one purpose: ``crc32("seed/part/...")`` (stable across runs and machines)."""
    return zlib.crc32("/".join(map(str, (seed, *parts))).encode("utf-8"))


#: Columns that are identifiers: their values change under pseudonymisation, so row order
#: must never depend on them (:func:`canonical_order`).
IDENTIFIER_COLUMNS = frozenset({"referral_id", "child_id"})


def canonical_order(labelled: pl.DataFrame, X: NDArray[np.float64]) -> NDArray[np.int64]:
    """The row order every later step sees: by content, never by identifier.

    Decision points come sorted by ``(decision_date, referral_id)``; referral ids are
    pseudonyms on the platform and the authority's own ids offline, so ties within a day
    would fall in a different order on each path, and LightGBM's binning, k-fold folds and
    top-k ties follow row order.  Rows are therefore sorted by the decision date, then by
    every other non-identifier column of ``labelled`` and every feature.  Rows still tied
    agree on everything any step reads, so exchanging them changes no number: the same
    data give the same metrics whatever their identifiers (``docs/results-bundle.md``).
    """
    content = labelled.select(
        # Categories compare by their text, not by the order they were first seen in.
        pl.col(c).cast(pl.String) if isinstance(dtype, pl.Categorical | pl.Enum) else pl.col(c)
        for c, dtype in labelled.schema.items()
        if c not in IDENTIFIER_COLUMNS
    )
    keyed = content.with_columns(
        pl.Series(f"__x{i}", X[:, i]) for i in range(X.shape[1])
    ).with_row_index("__row")
    columns = [c for c in keyed.columns if c != "__row"]
    ordered = keyed.sort(columns, nulls_last=True, maintain_order=True)
    return ordered["__row"].to_numpy().astype(np.int64)


def _metrics_dict(m: Metrics) -> dict[str, Any]:
    return {
        "n": m.n,
        "positives": m.positives,
        "flagged": m.flagged,
        "tp": m.tp,
        "fp": m.fp,
        "tn": m.tn,
        "fn": m.fn,
        "threshold_used": m.threshold_used,
        "base_rate": m.base_rate,
        **{name: e.to_dict() for name, e in m.estimates.items()},
        "of_10_flagged": m.of_10_flagged,
        "of_10_escalated": m.of_10_escalated,
        "calibration": [vars(b) for b in m.calibration],
    }


@dataclass
class _Predictions:
    rows: list[NDArray[np.int64]] = field(default_factory=list)
    scores: list[NDArray[np.float64]] = field(default_factory=list)
    flags: list[NDArray[np.bool_]] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)

    def add(self, rows: Any, scores: Any, flags: Any, period: str) -> None:
        self.rows.append(rows)
        self.scores.append(scores)
        self.flags.append(flags)
        self.periods.extend([period] * len(rows))

    def pooled(self) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_]]:
        if not self.rows:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.bool_)
        return np.concatenate(self.rows), np.concatenate(self.scores), np.concatenate(self.flags)


class _Clock:
    def __init__(self, progress: ProgressCallback | None, total: int) -> None:
        self.progress = progress
        self.total = max(total, 1)
        self.done = 0
        self.timings: dict[str, float] = {}
        self.last = time.perf_counter()

    def step(self, name: str, *, weight: int = 1, final: bool = False) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now
        self.done = self.total if final else self.done + weight
        if self.progress is not None:
            self.progress(name, min(1.0, self.done / self.total))

    def add(self, name: str, seconds: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + seconds


def _split_rows(
    split: TemporalSplit, dates: pl.Series
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    train = np.flatnonzero((dates < split.train_decisions_before).to_numpy())
    test = np.flatnonzero(((dates >= split.test_start) & (dates < split.test_end)).to_numpy())
    return train, test


def _fit_score(
    spec: Any, names: tuple[str, ...], seed: int, X: Any, y: Any, X_test: Any, clock: _Clock
) -> NDArray[np.float64]:
    return _fit_model_score(spec, names, seed, X, y, X_test, clock)[1]


def _fit_model_score(
    spec: Any, names: tuple[str, ...], seed: int, X: Any, y: Any, X_test: Any, clock: _Clock
) -> tuple[Any, NDArray[np.float64]]:
    start = time.perf_counter()
    model = make_model(spec.kind, spec.params, feature_names=names, seed=seed)
    # Called only inside ``run``, which holds BLAS to one thread throughout (entering
    # ``threadpool_limits`` again for each of the 27 fits re-read the process's loaded
    # libraries each time: 0.1 s of a 30,000-referral run).
    model.fit(X, y)
    scores = score(model, X_test)
    clock.add("model_fits", time.perf_counter() - start)
    return model, scores


def run(
    config: ExperimentConfig,
    dataset: PilotDataset,
    *,
    progress: ProgressCallback | None = None,
    fingerprint: str | None = None,
) -> RunResult:
    """Run the experiment ``config`` on ``dataset`` (see the module docstring).

    ``fingerprint`` is the data fingerprint to record when the caller computed it on the
    data as the authority holds them, before replacing identifiers (the platform does, on
    the upload); by default it is :func:`~.bundle.data_fingerprint` of ``dataset``.
    """
    from threadpoolctl import threadpool_limits

    # One BLAS thread throughout: the metrics' matrix products are small, and a second
    # spinning BLAS thread doubled their CPU time without shortening the run.
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(config, dataset, progress=progress, fingerprint=fingerprint)


def _run(
    config: ExperimentConfig,
    dataset: PilotDataset,
    *,
    progress: ProgressCallback | None,
    fingerprint: str | None,
) -> RunResult:
    warnings: list[str] = []
    n_models = len(config.models)
    kfold = config.splits.kfold
    # Steps: labels, features, each (split, model), pooled metrics, each (fold, model),
    # fairness, circumstances, verdict.
    total = 6 + config.splits.n_splits * n_models + (kfold * n_models if kfold >= 2 else 0)
    clock = _Clock(progress, total)
    op = config.operating_point
    seed = config.seed
    boot = config.bootstrap

    fingerprint = fingerprint or data_fingerprint(dataset)
    label_end = config.outcome.label_end or data_end(dataset)
    points = decision_points(dataset, config.cohort)
    labelled = label_points(points, dataset, config.outcome, label_end=label_end)
    clock.step("labels")
    features = build_features(points, dataset, config.features)
    order = canonical_order(labelled, features.values)
    labelled = labelled[order]
    X = features.values[order]
    y = labelled["label"].to_numpy().astype(np.int8)
    observable = labelled["observable"].to_numpy()
    dates = labelled["decision_date"]
    clock.step("features")

    def metrics_for(y_: Any, s_: Any, f_: Any, cut: float | None, *purpose: object) -> Metrics:
        return evaluate(
            y_,
            s_,
            f_,
            replicates=boot.replicates,
            confidence=boot.confidence,
            seed=derived_seed(seed, "bootstrap", *purpose),
            threshold_used=cut,
        )

    splits = temporal_splits(
        label_end=label_end,
        window_days=config.outcome.window_days,
        test_days=config.splits.test_days,
        n_splits=config.splits.n_splits,
        step_days=config.splits.step_days,
    )
    split_rows: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    predictions = {spec.name: _Predictions() for spec in config.models}
    #: The primary model of each used split, with its test rows (for permutation importance).
    primary_models: list[tuple[Any, NDArray[np.int64]]] = []
    for split in splits:
        train, test = _split_rows(split, dates)
        reason = None
        if len(train) < config.splits.min_train_rows:
            reason = f"{len(train)} training rows, fewer than {config.splits.min_train_rows}"
        elif int(y[train].sum()) < config.splits.min_train_positives:
            reason = f"fewer than {config.splits.min_train_positives} positive training rows"
        elif len(train) == int(y[train].sum()):
            reason = "every training row is positive"
        elif len(test) == 0:
            reason = "no test rows"
        split_rows.append(
            {
                "index": split.index,
                "split_date": split.split_date,
                "test_start": split.test_start,
                "test_end": split.test_end,
                "train_decisions_before": split.train_decisions_before,
                "n_train": len(train),
                "train_positives": int(y[train].sum()),
                "n_test": len(test),
                "test_positives": int(y[test].sum()),
                "used": reason is None,
                "reason": reason,
            }
        )
        if reason is not None:
            warnings.append(f"split {split.index} skipped: {reason}")
            clock.step(f"split {split.index}", weight=n_models)
            continue
        period = f"{split.test_start.isoformat()} to {split.test_end.isoformat()}"
        for spec in config.models:
            fitted, s = _fit_model_score(
                spec,
                features.names,
                derived_seed(seed, "model", spec.name, split.index),
                X[train],
                y[train],
                X[test],
                clock,
            )
            f, cut = operating_flags(s, top_percent=op.top_percent, threshold=op.threshold)
            predictions[spec.name].add(test, s, f, period)
            if spec.name == config.success.model:
                primary_models.append((fitted, test))
            m = metrics_for(y[test], s, f, cut, spec.name, "temporal", split.index)
            results.append(
                {
                    "model": spec.name,
                    "kind": spec.kind,
                    "evaluation": "temporal",
                    "split": split.index,
                    "metrics": _metrics_dict(m),
                }
            )
            clock.step(f"split {split.index} {spec.name}")
    if not any(row["used"] for row in split_rows):
        warnings.append("no temporal split could be used: the data cover too short a period")

    pooled: dict[str, Metrics] = {}
    curves: dict[str, Any] = {}
    for spec in config.models:
        rows, s, f = predictions[spec.name].pooled()
        pooled[spec.name] = metrics_for(y[rows], s, f, None, spec.name, "temporal", "pooled")
        results.append(
            {
                "model": spec.name,
                "kind": spec.kind,
                "evaluation": "temporal",
                "split": None,
                "metrics": _metrics_dict(pooled[spec.name]),
            }
        )
        curves[spec.name] = curve_points(y[rows], s)
    clock.step("pooled metrics")

    optimism: list[dict[str, Any]] = []
    if kfold >= 2:
        optimism = _kfold(
            config, X, y, observable, features.names, results, pooled, predictions, clock
        )

    lift: list[dict[str, Any]] = []
    baseline = next((s.name for s in config.models if s.kind == "baseline"), None)
    if baseline is not None:
        for spec in config.models:
            if spec.name == baseline:
                continue
            for metric in LIFT_METRICS:
                value = pooled[spec.name].value(metric)
                base = pooled[baseline].value(metric)
                lift.append(
                    {
                        "model": spec.name,
                        "metric": metric,
                        "value": value,
                        "baseline": base,
                        "lift": None if value is None or base is None else value - base,
                    }
                )

    comparison = _comparison(config, y, predictions, baseline) if baseline is not None else None
    primary = config.success.model
    importance = _importance(config, X, y, features.names, primary_models, clock)
    rows, s, f = predictions[primary].pooled()
    audit_rows = labelled[rows].with_columns(
        pl.Series("score", s),
        pl.Series("flag", f.astype(np.float64)),
        pl.Series("period", predictions[primary].periods, dtype=pl.String),
        age_band(pl.col("age_years")).alias("age_band"),
        pl.col("source").cast(pl.String),
        pl.col("sex").cast(pl.String),
        pl.col("ethnicity").cast(pl.String),
        pl.col("disability").cast(pl.String),
    )
    fairness = _fairness(config, audit_rows, warnings)
    clock.step("fairness audit")

    names = features.names
    history = pl.DataFrame(
        {
            name: X[rows, names.index(f"prior_{name}")]
            for name in ("referrals", "assessments", "s47", "cp_plans", "looked_after")
        }
    )
    involvement = history.select(
        prior_involvement(
            referrals=pl.col("referrals"),
            assessments=pl.col("assessments"),
            s47=pl.col("s47"),
            plans_or_care=pl.col("cp_plans") + pl.col("looked_after"),
        ).alias("prior_involvement")
    )
    circumstances = performance_by(
        audit_rows.with_columns(involvement["prior_involvement"]),
        min_n=config.fairness.min_group_size,
        replicates=boot.replicates,
        confidence=boot.confidence,
        seed=derived_seed(seed, "bootstrap", "circumstances"),
    )
    clock.step("circumstances")

    gate = ethics_gate(config.ethics)
    checks = (
        fairness_checks(
            fairness,
            attributes=config.fairness.attributes,
            band=(config.fairness.band.low, config.fairness.band.high),
        )
        if fairness is not None
        else ()
    )
    verdict = decide(
        model=primary,
        criteria=[(c.metric, c.op, c.value) for c in config.success.criteria],
        estimates=pooled[primary].estimates,
        combine_how=config.success.combine,
        fairness=checks,
        ethics_passed=gate.passed,
        ethics_open=len(gate.open_items),
    )
    observable_y = y[observable]
    bundle = ResultBundle.model_validate(
        round_floats(
            {
                "bundle_version": BUNDLE_VERSION,
                "package": "whatworks-analytics",
                "code_version": __version__,
                "seed": seed,
                "config": config.to_dict(),
                "config_hash": config_hash(config),
                "data": {
                    "fingerprint": fingerprint,
                    "row_counts": dataset.row_counts(),
                    "label_end": label_end,
                },
                "cohort": {
                    "decision_points": labelled.height,
                    "observable": int(observable.sum()),
                    "positives": int(observable_y.sum()),
                    "base_rate": float(observable_y.mean()) if len(observable_y) else None,
                    "first_decision": dates.min() if labelled.height else None,
                    "last_decision": dates.max() if labelled.height else None,
                },
                "features": list(features.names),
                "splits": split_rows,
                "results": results,
                "curves": curves,
                "lift": lift,
                "optimism": optimism,
                "optimism_rows": "temporal_test" if optimism else None,
                "comparison": comparison,
                "importance": importance,
                "fairness": fairness,
                "circumstances": circumstances,
                "ethics": gate.to_dict(),
                "verdict": verdict.to_dict(),
                "warnings": warnings,
            }
        )
    )
    clock.step("verdict and bundle", final=True)
    return RunResult(bundle=bundle, timings=clock.timings)


def _kfold(
    config: ExperimentConfig,
    X: NDArray[np.float64],
    y: NDArray[np.int8],
    observable: NDArray[np.bool_],
    names: tuple[str, ...],
    results: list[dict[str, Any]],
    pooled: dict[str, Metrics],
    predictions: dict[str, _Predictions],
    clock: _Clock,
) -> list[dict[str, Any]]:
    """Random k-fold CV, as commonly (and optimistically) done, scored on the temporal rows.

    The folds are drawn from every observable row, so each model is fitted on referrals
    from before *and after* the ones it scores.  Its out-of-fold scores are then evaluated
    on exactly the temporal test rows, flagged per test period with the same operating
    point (one cut-off over the pooled rows): the two columns differ only in what the
    model could learn from, never in which referrals are scored.  (Scoring k-fold on
    every row since the data begin would mix in early referrals whose history is cut
    short by the start of the extract, and the difference could then take either sign
    for reasons that have nothing to do with looking into the future.)
    """
    from sklearn.model_selection import StratifiedKFold

    op = config.operating_point
    rows = np.flatnonzero(observable)
    k = config.splits.kfold
    if len(rows) < 2 * k or int(y[rows].sum()) < k or int((y[rows] == 0).sum()) < k:
        return []
    folds = StratifiedKFold(
        n_splits=k, shuffle=True, random_state=derived_seed(config.seed, "kfold") % 2**31
    )
    out: list[dict[str, Any]] = []
    for spec in config.models:
        oof = np.full(len(y), np.nan)
        for fold, (train, test) in enumerate(folds.split(np.zeros(len(rows)), y[rows])):
            oof[rows[test]] = _fit_score(
                spec,
                names,
                derived_seed(config.seed, "kfold-model", spec.name, fold),
                X[rows[train]],
                y[rows[train]],
                X[rows[test]],
                clock,
            )
            clock.step(f"k-fold {spec.name}")
        temporal = predictions[spec.name]
        if not temporal.rows:
            continue
        scored = [oof[r] for r in temporal.rows]
        if any(np.isnan(part).any() for part in scored):
            # A temporal test row without a known outcome: not in the folds.
            continue
        same_rows = np.concatenate(temporal.rows)
        oof_same = np.concatenate(scored)
        # One cut-off over the pooled rows: the k-fold scores come from five models fitted
        # on the same rows, so a score level may span test periods (flags must follow the
        # score for the metrics); the temporal flags are set per period, a fine distinction.
        flags, cut = operating_flags(oof_same, top_percent=op.top_percent, threshold=op.threshold)
        m = evaluate(
            y[same_rows],
            oof_same,
            flags,
            replicates=config.bootstrap.replicates,
            confidence=config.bootstrap.confidence,
            seed=derived_seed(config.seed, "bootstrap", spec.name, "kfold"),
            threshold_used=cut,
        )
        results.append(
            {
                "model": spec.name,
                "kind": spec.kind,
                "evaluation": "kfold",
                "split": None,
                "metrics": _metrics_dict(m),
            }
        )
        for metric in LIFT_METRICS:
            temporal_value, random = pooled[spec.name].value(metric), m.value(metric)
            out.append(
                {
                    "model": spec.name,
                    "metric": metric,
                    "temporal": temporal_value,
                    "kfold": random,
                    "difference": None
                    if temporal_value is None or random is None
                    else random - temporal_value,
                }
            )
    return out


#: Metrics compared with the baseline at the baseline's own flag volume.
COMPARISON_METRICS = ("precision", "recall", "roc_auc", "average_precision")


def _comparison(
    config: ExperimentConfig,
    y: NDArray[np.int8],
    predictions: dict[str, _Predictions],
    baseline: str,
) -> dict[str, Any] | None:
    """Every model against the baseline on the same rows and at the same flag volume.

    A baseline of few distinct scores (a count of prior referrals) cannot flag exactly the
    top 10%: every referral tied with the last one flagged is flagged too, and it may flag
    19%.  Side by side with models that flag 10%, its precision and recall are not
    comparable.  Here each model flags, in each test period, as many referrals as the
    baseline did there (its highest scores), and precision and recall are compared at
    that volume; ROC AUC and average precision do not depend on the volume.  Differences
    (model minus baseline) carry paired bootstrap intervals (rows resampled once for
    both).
    """
    base = predictions[baseline]
    if not base.rows:
        return None
    boot = config.bootstrap
    base_rows, base_s, base_f = base.pooled()
    out_rows: list[dict[str, Any]] = []
    for spec in config.models:
        if spec.name == baseline:
            continue
        mine = predictions[spec.name]
        matched = np.concatenate(
            [flags_top_k(s, int(bf.sum())) for s, bf in zip(mine.scores, base.flags, strict=True)]
        )
        _rows, s, _f = mine.pooled()
        differences = paired_differences(
            y[base_rows],
            (s, matched),
            (base_s, base_f),
            replicates=boot.replicates,
            confidence=boot.confidence,
            seed=derived_seed(config.seed, "bootstrap", "comparison", spec.name),
        )
        model_at = evaluate(y[base_rows], s, matched, replicates=0)
        base_at = evaluate(y[base_rows], base_s, base_f, replicates=0)
        for metric in COMPARISON_METRICS:
            out_rows.append(
                {
                    "model": spec.name,
                    "metric": metric,
                    "value": model_at.value(metric),
                    "baseline": base_at.value(metric),
                    "difference": differences[metric].to_dict(),
                }
            )
        out_rows.append(
            {
                "model": spec.name,
                "metric": "flag_rate",
                "value": float(matched.mean()),
                "baseline": float(base_f.mean()),
                "difference": differences["flag_rate"].to_dict(),
            }
        )
    return {
        "baseline": baseline,
        "n": len(base_rows),
        "baseline_flagged": int(base_f.sum()),
        "rows": out_rows,
    }


def _auc(y: NDArray[Any], s: NDArray[np.float64], f: NDArray[np.bool_]) -> float | None:
    value = float(weighted_metrics(y, s, f, np.ones((1, len(y))))["roc_auc"][0])
    return value if np.isfinite(value) else None


#: Permutation importance scores at most this many test rows (a seeded sample spread
#: over the test periods in proportion): each feature costs one prediction of the sample,
#: and the run's time is kept close to that of its model fits (``docs/benchmarks.md``).
IMPORTANCE_ROWS = 1000


def _importance(
    config: ExperimentConfig,
    X: NDArray[np.float64],
    y: NDArray[np.int8],
    names: tuple[str, ...],
    models: list[tuple[Any, NDArray[np.int64]]],
    clock: _Clock,
) -> dict[str, Any] | None:
    """Permutation importance of the primary model on the temporal test rows.

    For each feature (one-hot columns of one fact, such as the referral source, move
    together), its values are shuffled among each test period's rows -- the same
    permutation for every column of the group -- and that period's model scores the
    shuffled rows.  Reported: the fall in pooled ROC AUC (how much the model's ranking
    relies on the feature) and the share of the flagged referrals that are no longer
    flagged at the same operating point.  One seeded shuffle per feature, on at most
    :data:`IMPORTANCE_ROWS` test rows (a seeded sample, in proportion to each period's
    rows).  A feature that no period's model uses (the baseline's other columns, columns
    LightGBM never splits on) cannot change a score: its fall is exactly 0, with no
    prediction needed.
    """
    if not models:
        return None
    start = time.perf_counter()
    op = config.operating_point
    groups = feature_groups(names)
    rng = np.random.default_rng(derived_seed(config.seed, "importance"))
    total = sum(len(rows) for _m, rows in models)
    if total > IMPORTANCE_ROWS:
        sampled = []
        for model, rows in models:
            k = max(1, round(IMPORTANCE_ROWS * len(rows) / total))
            sampled.append(
                (model, np.sort(rng.choice(rows, size=min(k, len(rows)), replace=False)))
            )
        models = sampled
    y_all = np.concatenate([y[rows] for _m, rows in models])
    base_scores = [score(model, X[rows]) for model, rows in models]
    base_flags = [
        operating_flags(s, top_percent=op.top_percent, threshold=op.threshold)[0]
        for s in base_scores
    ]
    s_all, f_all = np.concatenate(base_scores), np.concatenate(base_flags)
    reference = _auc(y_all, s_all, f_all)
    used: set[int] | None = set()
    for model, _rows in models:
        in_model = used_columns(model)
        used = None if in_model is None or used is None else used | in_model
    active = {
        group: columns
        for group, columns in groups.items()
        if used is None or any(names.index(c) in used for c in columns)
    }
    # Every shuffled copy of a period's rows is scored in one call (one per period).  A
    # model that scores each row from that row alone, by the same arithmetic whatever else
    # is in the batch (the trees and the baseline: :func:`.models.used_columns` is not
    # None), gives a row whose used columns the shuffle left unchanged its base score, so
    # only the changed rows are predicted -- most rows of a rare binary factor or of a
    # one-hot source.  The scores are the same numbers, bit for bit; logistic regression's
    # scores come from matrix products whose rounding may depend on the batch, so all of
    # its rows are predicted.
    shuffled_scores: dict[str, list[NDArray[np.float64]]] = {g: [] for g in active}
    for (model, rows), base_s in zip(models, base_scores, strict=True):
        base = X[rows]
        in_model = used_columns(model)
        copies, changed = [], []
        for columns in active.values():
            index = [names.index(c) for c in columns]
            perm = rng.permutation(len(rows))
            shuffled = base.copy()
            shuffled[:, index] = base[perm][:, index]
            if in_model is None:
                moved = np.ones(len(rows), dtype=np.bool_)
            else:
                read = [i for i in index if i in in_model]
                moved = np.any(shuffled[:, read] != base[:, read], axis=1)
            copies.append(shuffled[moved])
            changed.append(moved)
        if copies:
            stacked = np.vstack(copies)
            scores_p = score(model, stacked) if len(stacked) else np.zeros(0)
            done = 0
            for group, moved in zip(active, changed, strict=True):
                part = base_s.copy()
                k = int(moved.sum())
                part[moved] = scores_p[done : done + k]
                done += k
                shuffled_scores[group].append(part)
    out: list[dict[str, Any]] = []
    for group, columns in groups.items():
        if group not in active:
            out.append(
                {"feature": group, "columns": list(columns), "roc_auc_drop": 0.0, "flags_lost": 0.0}
            )
            continue
        parts = shuffled_scores[group]
        s = np.concatenate(parts)
        f = np.concatenate(
            [
                operating_flags(part, top_percent=op.top_percent, threshold=op.threshold)[0]
                for part in parts
            ]
        )
        auc = _auc(y_all, s, f)
        lost = int((f_all & ~f).sum())
        out.append(
            {
                "feature": group,
                "columns": list(columns),
                "roc_auc_drop": None if auc is None or reference is None else reference - auc,
                "flags_lost": lost / int(f_all.sum()) if f_all.any() else None,
            }
        )
    out.sort(key=lambda r: (-(r["roc_auc_drop"] or 0.0), r["feature"]))
    clock.add("importance", time.perf_counter() - start)
    return {
        "model": config.success.model,
        "n": len(y_all),
        "roc_auc": reference,
        "features": out,
    }


def _fairness(
    config: ExperimentConfig, rows: pl.DataFrame, warnings: list[str]
) -> dict[str, Any] | None:
    """The fairness audit of the primary model's pooled temporal flags."""
    spec = config.fairness
    if rows.height == 0:
        warnings.append("no test predictions, so no fairness audit")
        return None
    audit_config = AuditConfig(
        score="flag",
        risk_score="score",
        label="label",
        groups=tuple(spec.attributes),
        flag_rule=FlagRule(threshold=0.5),
        references={name: ReferenceRule.parse(text) for name, text in spec.reference.items()},
        band=Band(low=spec.band.low, high=spec.band.high),
        size_rule=SizeRule(
            min_group_size=spec.min_group_size, min_denominator=spec.min_denominator
        ),
        intersections=spec.intersections and len(spec.attributes) > 1,
        action=spec.action,
        bootstrap=BootstrapSettings(
            replicates=config.bootstrap.replicates,
            confidence=config.bootstrap.confidence,
            seed=derived_seed(config.seed, "fairness") % 2**31,
        ),
    )
    frame = rows.select("flag", "score", pl.col("label").cast(pl.Int64), *spec.attributes)
    try:
        report = audit_frame(frame, audit_config, source="pooled temporal test predictions")
    except AuditInputError as exc:
        warnings.extend(f"fairness audit: {problem}" for problem in exc.problems)
        return None
    audit: dict[str, Any] = report.to_dict()
    return audit


def run_folder(
    config: ExperimentConfig,
    folder: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Validate and load ``folder`` (raising as :func:`.validate.load_dataset` does), then run."""
    start = time.perf_counter()
    dataset = load_dataset(folder)
    loaded = time.perf_counter() - start
    result = run(config, dataset, progress=progress)
    result.timings["validate"] = loaded
    return result
