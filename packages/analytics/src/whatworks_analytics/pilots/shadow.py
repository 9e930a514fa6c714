"""Shadow mode: freeze a run's model, score later referrals with it, and evaluate those
scores once their outcome windows have closed -- the model's test in the real future.

Temporal validation looks back: it says how a model trained on the past *would have* done
on a later period.  The only test of a tool in use is forward: freeze it, let it score
referrals as they arrive (without anyone acting on the scores), and compare what it said
with what happened.  Three steps:

1. :func:`freeze` fits the primary model of the config on every referral whose outcome is
   known (``d + W <= label_end``), with the same features and seed rules as the run, and
   records what it was validated at (the run's pooled temporal metrics), the config hash,
   the data fingerprint and the score cut-off of the operating point.  ``top_percent = P``
   becomes a fixed cut-off: the frozen model's score at its top ``P``% of the referrals of
   the last test-period length of the data (their outcomes are not needed for that), so
   each later referral can be flagged on the day it arrives.
2. :func:`score_referrals` scores the referrals of a later extract made on or after the
   freeze (the data's label end): features come from facts dated strictly before each
   referral (:mod:`.features`), so a score never uses what happened after its referral.
3. :func:`evaluate_forward` labels the scored referrals from a still later extract, keeps
   those whose outcome window has closed, and computes the metrics and the fairness audit
   of the recorded scores and flags, beside what the temporal validation predicted.

The model folder holds ``model.json`` (what the model is, and the SHA-256 of the model
file) and ``model.pkl`` (the fitted estimator, pickled).  A pickle can run code when it
is loaded: load only model folders you or your authority wrote.  The hash is checked
before unpickling, so a file changed after freezing is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from whatworks_analytics import __version__
from whatworks_analytics.errors import AnalyticsInputError
from whatworks_analytics.pilots.bundle import ResultBundle, data_fingerprint, round_floats
from whatworks_analytics.pilots.config import ExperimentConfig, config_hash, parse_config
from whatworks_analytics.pilots.features import age_band, build_features
from whatworks_analytics.pilots.labels import data_end, decision_points, label_points
from whatworks_analytics.pilots.metrics import evaluate, operating_flags
from whatworks_analytics.pilots.models import make_model, score
from whatworks_analytics.pilots.validate import PilotDataset

MODEL_FORMAT = 1
META_NAME = "model.json"
MODEL_NAME = "model.pkl"
#: Metrics compared between the temporal validation and the forward evaluation.
FORWARD_METRICS = ("precision", "recall", "flag_rate", "roc_auc", "average_precision")


class ShadowError(AnalyticsInputError):
    """A model folder or a scores file that cannot be used; ``problems`` says why."""

    problems: tuple[str, ...]

    def __init__(self, problems: list[str]) -> None:
        super().__init__(tuple(problems))


@dataclass(frozen=True, kw_only=True)
class FrozenModel:
    meta: dict[str, Any]
    estimator: Any

    @property
    def config(self) -> ExperimentConfig:
        return parse_config(self.meta["config"])

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the model file's SHA-256 (written beside each score)."""
        return str(self.meta["model_sha256"])[:12]


def _ordered(config: ExperimentConfig, dataset: PilotDataset, label_end: date) -> Any:
    from whatworks_analytics.pilots.run import canonical_order

    points = decision_points(dataset, config.cohort)
    labelled = label_points(points, dataset, config.outcome, label_end=label_end)
    features = build_features(points, dataset, config.features)
    order = canonical_order(labelled, features.values)
    return labelled[order], features.values[order], features.names


def freeze(
    config: ExperimentConfig,
    dataset: PilotDataset,
    bundle: ResultBundle,
    *,
    fingerprint: str | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """Fit the config's primary model on every referral with a known outcome; return the
    pickled estimator and its metadata (module docstring)."""
    from threadpoolctl import threadpool_limits

    from whatworks_analytics.pilots.run import derived_seed

    label_end = config.outcome.label_end or data_end(dataset)
    labelled, X, names = _ordered(config, dataset, label_end)
    y = labelled["label"].to_numpy().astype(np.int8)
    train = labelled["observable"].to_numpy()
    spec = next(m for m in config.models if m.name == config.success.model)
    model = make_model(
        spec.kind, spec.params, feature_names=names, seed=derived_seed(config.seed, "frozen")
    )
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(X[train], y[train])
    op = config.operating_point
    dates = labelled["decision_date"]
    recent_from = label_end - timedelta(days=config.splits.test_days)
    recent = (dates >= recent_from).to_numpy()
    if op.threshold is not None:
        cut: float | None = op.threshold
    else:
        _flags, cut = operating_flags(
            score(model, X[recent]), top_percent=op.top_percent, threshold=None
        )
    payload = pickle.dumps(model, protocol=5)
    import lightgbm
    import sklearn

    pooled = bundle.result(spec.name).metrics
    used = [s for s in bundle.splits if s.used]
    meta = round_floats(
        {
            "format": MODEL_FORMAT,
            "package": "whatworks-analytics",
            "code_version": __version__,
            "libraries": {
                "scikit-learn": sklearn.__version__,
                "lightgbm": lightgbm.__version__,
                "numpy": np.__version__,
            },
            "model": spec.name,
            "kind": spec.kind,
            "config": config.to_dict(),
            "config_hash": config_hash(config),
            "data_fingerprint": fingerprint or data_fingerprint(dataset),
            "label_end": label_end.isoformat(),
            "features": list(names),
            "trained_on": {
                "rows": int(train.sum()),
                "positives": int(y[train].sum()),
                "decisions_before": (
                    label_end - timedelta(days=config.outcome.window_days - 1)
                ).isoformat(),
            },
            "flag_threshold": cut,
            "flag_rule": (
                f"score >= {op.threshold:g} (the pre-registered threshold)"
                if op.threshold is not None
                else f"score >= the frozen model's score at its top {op.top_percent:g}% of "
                f"the referrals from {recent_from.isoformat()} to the label end"
            ),
            "validation": {
                "n": pooled.n,
                "test_periods": (
                    f"{min(s.test_start for s in used).isoformat()} to "
                    f"{max(s.test_end for s in used).isoformat()}"
                    if used
                    else None
                ),
                **{m: getattr(pooled, m).model_dump() for m in FORWARD_METRICS},
            },
            "model_sha256": hashlib.sha256(payload).hexdigest(),
        }
    )
    return payload, meta


def write_model(folder: Path, payload: bytes, meta: dict[str, Any]) -> None:
    """Write the model folder (0700, files 0600), each file through a temporary file."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    files = {
        folder / MODEL_NAME: payload,
        folder / META_NAME: (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode(),
    }
    for path, data in files.items():
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


def load_model(folder: Path) -> FrozenModel:
    """Read a model folder, checking its format and the model file's SHA-256 first."""
    try:
        meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
        payload = (folder / MODEL_NAME).read_bytes()
    except FileNotFoundError as exc:
        raise ShadowError(
            [f"{folder} is not a model folder: {Path(exc.filename).name} is missing"]
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ShadowError([f"{folder / META_NAME} is not JSON"]) from None
    problems = []
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        problems.append(f"{META_NAME}: not a model of format {MODEL_FORMAT}")
    elif hashlib.sha256(payload).hexdigest() != meta.get("model_sha256"):
        problems.append(
            f"{MODEL_NAME} does not match the SHA-256 in {META_NAME}: it was changed after "
            "the model was frozen, so it is not loaded"
        )
    if problems:
        raise ShadowError(problems)
    return FrozenModel(meta=meta, estimator=pickle.loads(payload))  # noqa: S301 (hash checked)


def score_referrals(
    frozen: FrozenModel, dataset: PilotDataset, *, since: date | None = None
) -> pl.DataFrame:
    """Score the referrals of ``dataset`` made on or after ``since`` (default: the frozen
    model's label end), from facts dated before each referral.

    Columns: ``referral_id``, ``decision_date``, ``score``, ``flag`` (the frozen cut-off)
    and ``model`` (:attr:`FrozenModel.short_id`).  Ordered by date, then referral id.
    """
    config = frozen.config
    start = since or date.fromisoformat(frozen.meta["label_end"])
    points = decision_points(dataset, config.cohort).filter(pl.col("decision_date") >= start)
    features = build_features(points, dataset, config.features)
    if list(features.names) != list(frozen.meta["features"]):
        raise ShadowError(["the data give different features from those the model was frozen with"])
    scores = np.zeros(0) if points.height == 0 else score(frozen.estimator, features.values)
    cut = frozen.meta["flag_threshold"]
    flags = scores >= cut if cut is not None else np.zeros(len(scores), dtype=np.bool_)
    return pl.DataFrame(
        {
            "referral_id": points["referral_id"],
            "decision_date": points["decision_date"],
            "score": scores,
            "flag": flags,
            "model": [frozen.short_id] * points.height,
        },
        schema={
            "referral_id": pl.String,
            "decision_date": pl.Date,
            "score": pl.Float64,
            "flag": pl.Boolean,
            "model": pl.String,
        },
    )


def read_scores(path: Path, frozen: FrozenModel) -> pl.DataFrame:
    """A scores file written by :func:`score_referrals` (through the CLI), checked."""
    try:
        frame = pl.read_csv(
            path,
            schema={
                "referral_id": pl.String,
                "decision_date": pl.Date,
                "score": pl.Float64,
                "flag": pl.Boolean,
                "model": pl.String,
            },
        )
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise ShadowError([f"{path} is not a scores file of this command: {exc}"]) from None
    other = frame.filter(pl.col("model") != frozen.short_id).height
    if other:
        raise ShadowError(
            [f"{other:,} scores in {path} were made by another model than {frozen.short_id}"]
        )
    return frame


def evaluate_forward(
    frozen: FrozenModel,
    scores: pl.DataFrame,
    dataset: PilotDataset,
    *,
    label_end: date | None = None,
) -> dict[str, Any]:
    """The recorded scores against what happened (module docstring): counts, metrics with
    intervals, the fairness audit, and each metric beside its temporal validation."""
    from whatworks_analytics.pilots.run import _fairness, derived_seed

    config = frozen.config
    end = label_end or data_end(dataset)
    points = decision_points(dataset, config.cohort)
    labelled = label_points(points, dataset, config.outcome, label_end=end)
    joined = scores.join(labelled.drop("decision_date"), on="referral_id", how="left")
    missing = joined.filter(pl.col("label").is_null()).height
    matured = joined.filter(pl.col("observable").fill_null(False)).sort(
        "decision_date", "referral_id"
    )
    pending = joined.height - missing - matured.height
    warnings: list[str] = []
    if missing:
        warnings.append(
            f"{missing:,} scored referrals are not in the evaluation data (or not in the cohort)"
        )
    boot = config.bootstrap
    y = matured["label"].to_numpy().astype(np.int64)
    s = matured["score"].to_numpy().astype(np.float64)
    f = matured["flag"].to_numpy().astype(np.bool_)
    m = evaluate(
        y,
        s,
        f,
        replicates=boot.replicates,
        confidence=boot.confidence,
        seed=derived_seed(config.seed, "bootstrap", "forward"),
        threshold_used=frozen.meta["flag_threshold"],
    )
    audit_rows = matured.with_columns(
        pl.col("flag").cast(pl.Float64),
        age_band(pl.col("age_years")).alias("age_band"),
        *(pl.col(c).cast(pl.String) for c in ("sex", "ethnicity", "disability")),
    )
    fairness = _fairness(config, audit_rows, warnings) if matured.height else None
    validation = frozen.meta["validation"]
    comparison = []
    dates = matured["decision_date"].cast(pl.String)
    period = f"{dates.min()!s} to {dates.max()!s}" if matured.height else None
    for metric in FORWARD_METRICS:
        then, now = validation[metric], m.estimates[metric].to_dict()
        comparison.append(
            {
                "metric": metric,
                "validated": then,
                "achieved": now,
                "sentence": (
                    f"{metric.replace('_', ' ')}: validated at {_interval(then)} in temporal "
                    f"validation, achieved {_interval(now)} on {matured.height:,} referrals "
                    f"from {period} whose outcome windows have closed"
                ),
            }
        )
    evaluation: dict[str, Any] = round_floats(
        {
            "model": frozen.meta["model"],
            "model_sha256": frozen.meta["model_sha256"],
            "config_hash": frozen.meta["config_hash"],
            "frozen_data_fingerprint": frozen.meta["data_fingerprint"],
            "evaluation_data_fingerprint": data_fingerprint(dataset),
            "label_end": end.isoformat(),
            "scored": scores.height,
            "matured": matured.height,
            "pending": pending,
            "not_found": missing,
            "metrics": {
                "n": m.n,
                "positives": m.positives,
                "flagged": m.flagged,
                "tp": m.tp,
                "fp": m.fp,
                "tn": m.tn,
                "fn": m.fn,
                **{name: e.to_dict() for name, e in m.estimates.items()},
            },
            "comparison": comparison,
            "fairness": fairness,
            "warnings": warnings,
        }
    )
    return evaluation


def _interval(e: dict[str, Any]) -> str:
    value, low, high = e.get("value"), e.get("low"), e.get("high")
    if value is None:
        return "undefined"
    if low is None or high is None:
        return f"{value:.2f}"
    return f"{value:.2f} ({low:.2f} to {high:.2f})"
