"""The JSON result bundle of a pilot run: its documented schema and its canonical bytes.

The bundle holds everything needed to re-render the report and to import the run into the
platform: the normalised config and its hash, the data fingerprint, the code version, the
seed and every number computed.  :class:`ResultBundle` is the schema (pydantic, frozen,
``extra="forbid"``); the platform validates an upload with
``ResultBundle.model_validate_json(text)``.

Determinism: floats are rounded to :data:`SIGNIFICANT_DIGITS` significant digits and the JSON
is written with sorted keys, two-space indents and UTF-8, so the same data, config and seed
give byte-identical bundles (:func:`bundle_json`).  Nothing time- or machine-dependent (no
timestamps, paths or timings) is stored.

Schema outline (``bundle_version`` 1)::

    bundle_version, package, code_version, seed
    config            normalised experiment config;   config_hash  sha256 of its canonical JSON
    data              fingerprint (sha256 of the tables), row_counts, label_end
    cohort            decision_points, observable, positives, base_rate, first/last decision
    features          feature names, in matrix order
    splits[]          index, dates, n_train/train_positives, n_test/test_positives, used, reason
    results[]         model, kind, evaluation ("temporal" | "kfold"), split (null: pooled),
                      metrics {n, positives, flagged, tp, fp, tn, fn, threshold_used, base_rate,
                      precision/recall/flag_rate/roc_auc/average_precision/brier: {value, low,
                      high}, of_10_flagged, of_10_escalated, calibration[]}
    curves{model}     pooled temporal ROC [(fpr, tpr)] and precision-recall [(recall, precision)]
    lift[]            model, metric, value, baseline, lift (model - baseline), pooled temporal
    optimism[]        model, metric, temporal, kfold, difference (kfold - temporal)
    optimism_rows     "temporal_test": k-fold scored on the temporal test rows (absent in
                      older bundles, whose k-fold was scored on every observable row)
    comparison        baseline, n, baseline_flagged, rows[] {model, metric, value, baseline,
                      difference {value, low, high}}: each model at the baseline's flag
                      volume, paired intervals (absent in older bundles)
    importance        model, n, roc_auc, features[] {feature, columns, roc_auc_drop,
                      flags_lost}: permutation importance on the temporal test rows
    fairness          the fairness audit's JSON (whatworks_analytics.fairness) or null
    circumstances[]   dimension, group, n, positives, base_rate, flagged, precision, recall,
                      roc_auc, precision_ci, recall_ci ([low, high] or null), too_small
    ethics            passed, items[] {id, title, question, answer, note}
    verdict           status, sentence, model, success, criteria[], fairness,
                      fairness_checks[], ethics_passed
    warnings[]
"""

from __future__ import annotations

import hashlib
import math
from datetime import date
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from whatworks_analytics.pilots.schema import CONTRACT
from whatworks_analytics.pilots.synth import to_file_frame
from whatworks_analytics.pilots.validate import PilotDataset

BUNDLE_VERSION = 1
SIGNIFICANT_DIGITS = 10


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EstimateModel(_Strict):
    value: float | None
    low: float | None
    high: float | None


class CalibrationBinModel(_Strict):
    lower: float
    upper: float
    n: int
    mean_predicted: float
    observed_rate: float


class MetricsModel(_Strict):
    n: int
    positives: int
    flagged: int
    tp: int
    fp: int
    tn: int
    fn: int
    threshold_used: float | None
    base_rate: float | None
    precision: EstimateModel
    recall: EstimateModel
    flag_rate: EstimateModel
    roc_auc: EstimateModel
    average_precision: EstimateModel
    brier: EstimateModel
    of_10_flagged: int | None
    of_10_escalated: int | None
    calibration: list[CalibrationBinModel]


class ModelResult(_Strict):
    model: str
    kind: str
    evaluation: Literal["temporal", "kfold"]
    split: int | None
    metrics: MetricsModel


class CurveModel(_Strict):
    roc: list[tuple[float, float]]
    pr: list[tuple[float, float]]


class LiftModel(_Strict):
    model: str
    metric: str
    value: float | None
    baseline: float | None
    lift: float | None


class OptimismModel(_Strict):
    model: str
    metric: str
    temporal: float | None
    kfold: float | None
    difference: float | None


class ComparisonRowModel(_Strict):
    model: str
    metric: str
    value: float | None
    baseline: float | None
    difference: EstimateModel


class ComparisonModel(_Strict):
    baseline: str
    n: int
    baseline_flagged: int
    rows: list[ComparisonRowModel]


class ImportanceRowModel(_Strict):
    feature: str
    columns: list[str]
    roc_auc_drop: float | None
    flags_lost: float | None


class ImportanceModel(_Strict):
    model: str
    n: int
    roc_auc: float | None
    features: list[ImportanceRowModel]


class SplitModel(_Strict):
    index: int
    split_date: date
    test_start: date
    test_end: date
    train_decisions_before: date
    n_train: int
    train_positives: int
    n_test: int
    test_positives: int
    used: bool
    reason: str | None


class DataInfo(_Strict):
    fingerprint: str
    row_counts: dict[str, int]
    label_end: date


class CohortInfo(_Strict):
    decision_points: int
    observable: int
    positives: int
    base_rate: float | None
    first_decision: date | None
    last_decision: date | None


class SubgroupModel(_Strict):
    dimension: str
    group: str
    n: int
    positives: int
    base_rate: float | None
    flagged: int
    precision: float | None
    recall: float | None
    roc_auc: float | None
    #: ``[low, high]`` percentile bootstrap interval; ``None`` when not computed or undefined
    #: (bundles written before intervals were added have neither field).
    precision_ci: list[float] | None = None
    recall_ci: list[float] | None = None
    too_small: bool


class EthicsItemModel(_Strict):
    id: str
    title: str
    question: str
    answer: str
    note: str


class EthicsModel(_Strict):
    passed: bool
    items: list[EthicsItemModel]


class CriterionModel(_Strict):
    metric: str
    op: str
    threshold: float
    estimate: EstimateModel
    judgement: Literal["met", "not_met", "inconclusive"]
    text: str


class FairnessCheckModel(_Strict):
    attribute: str
    judgement: Literal["met", "not_met", "inconclusive"]
    outside: list[str]
    uncertain: list[str]
    judged_groups: int


class VerdictModel(_Strict):
    status: Literal[
        "supports_use", "does_not_support_use", "inconclusive", "ethics_gate_not_passed"
    ]
    sentence: str
    model: str
    success: Literal["met", "not_met", "inconclusive"]
    criteria: list[CriterionModel]
    fairness: Literal["met", "not_met", "inconclusive"]
    fairness_checks: list[FairnessCheckModel]
    ethics_passed: bool


class ResultBundle(_Strict):
    """The result bundle (see the module docstring for the outline)."""

    bundle_version: Literal[1]
    package: Literal["whatworks-analytics"]
    code_version: str
    seed: int
    config: dict[str, Any]
    config_hash: str
    data: DataInfo
    cohort: CohortInfo
    features: list[str]
    splits: list[SplitModel]
    results: list[ModelResult]
    curves: dict[str, CurveModel]
    lift: list[LiftModel]
    optimism: list[OptimismModel]
    #: Added after bundle version 1 was first written; older bundles lack them.
    optimism_rows: Literal["temporal_test"] | None = None
    comparison: ComparisonModel | None = None
    importance: ImportanceModel | None = None
    fairness: dict[str, Any] | None
    circumstances: list[SubgroupModel]
    ethics: EthicsModel
    verdict: VerdictModel
    warnings: list[str]

    def result(
        self, model: str, *, evaluation: str = "temporal", split: int | None = None
    ) -> ModelResult:
        """The result of ``model`` (pooled when ``split`` is None)."""
        for item in self.results:
            if item.model == model and item.evaluation == evaluation and item.split == split:
                return item
        raise KeyError((model, evaluation, split))


def round_floats(value: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """Recursively round floats to ``digits`` significant digits; non-finite become None.

    Dicts and lists (tuples become lists) are walked; every other value is kept.  Exact
    ``float``, ``dict`` and ``list`` are dispatched on their type first (most of a bundle's
    70,000 values), subclasses such as ``numpy.float64`` as before.
    """
    spec = f".{digits}g"
    isfinite = math.isfinite

    def walk(item: Any) -> Any:
        kind = type(item)
        if kind is float or (kind is not int and isinstance(item, float)):
            return float(format(item, spec)) if isfinite(item) else None
        if kind is dict or isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        if kind is list or kind is tuple or isinstance(item, list | tuple):
            return [walk(v) for v in item]
        return item

    return walk(value)


def _canonical_text(data: Any) -> str:
    """``json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)``,
    character for character, for the JSON types a bundle holds (dict with string keys,
    list, str, int, float, bool, None).

    The standard library falls back to its pure-Python generator encoder whenever
    ``indent`` is set, which cost 0.1 s of a 30,000-referral run; this writes the same
    text by joining strings (tested equal on whole bundles, ``test_bundle.py``).
    """
    from json.encoder import encode_basestring  # the C version when available

    float_repr = float.__repr__
    int_repr = int.__repr__
    isfinite = math.isfinite

    def text(item: Any, indent: str) -> str:
        kind = type(item)
        if kind is float:
            if not isfinite(item):
                raise ValueError("Out of range float values are not JSON compliant")
            return float_repr(item)
        if kind is str:
            return encode_basestring(item)
        if item is None:
            return "null"
        if item is True:
            return "true"
        if item is False:
            return "false"
        if kind is int:
            return int_repr(item)
        if isinstance(item, dict):
            if not item:
                return "{}"
            inner = indent + "  "
            for key in item:
                if not isinstance(key, str):
                    raise TypeError("bundle keys are strings")
            body = (",\n" + inner).join(
                encode_basestring(key) + ": " + text(item[key], inner) for key in sorted(item)
            )
            return "{\n" + inner + body + "\n" + indent + "}"
        if isinstance(item, list | tuple):
            if not item:
                return "[]"
            inner = indent + "  "
            body = (",\n" + inner).join([text(value, inner) for value in item])
            return "[\n" + inner + body + "\n" + indent + "]"
        if isinstance(item, str):
            return encode_basestring(item)
        if isinstance(item, int):
            return int_repr(item)
        if isinstance(item, float):
            return text(float(item), indent)
        raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")

    return text(data, "")


def bundle_json(bundle: ResultBundle) -> str:
    """The canonical JSON text of a bundle (sorted keys, indent 2, UTF-8, final newline)."""
    data = round_floats(bundle.model_dump(mode="json"))
    return _canonical_text(data) + "\n"


def load_bundle(text: str) -> ResultBundle:
    """Validate bundle JSON text against the schema (``pydantic.ValidationError`` if not)."""
    return ResultBundle.model_validate_json(text)


def data_fingerprint(dataset: PilotDataset) -> str:
    """SHA-256 of every table in contract order, each sorted by its key and written as CSV.

    The loaded (typed) values are hashed, so CSV and Parquet copies of the same data, or
    files differing only in row order or whitespace, share a fingerprint.
    """
    digest = hashlib.sha256()
    for table in CONTRACT.tables:
        frame = to_file_frame(table.name, dataset.table(table.name)).sort(table.key)
        digest.update(f"{table.name}\n".encode())
        digest.update(frame.write_csv(include_header=True).encode("utf-8"))
    return digest.hexdigest()


def frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of a small frame as dicts (helper for building bundle sections)."""
    return frame.to_dicts()
