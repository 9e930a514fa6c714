"""The fairness audit of a risk tool: flag rows, count, compare groups, report JSON and HTML.

An audit takes scored rows -- a score, the observed outcome (label 0/1) and one or more group
columns -- and a :class:`FlagRule` saying which rows the tool flags:

* ``threshold=T``: a row is flagged when ``score >= T`` (scores that are already 0/1 work with
  any ``0 < T <= 1``);
* ``top_percent=P`` with ``0 < P <= 100``: with ``n`` rows, let ``k = ceil(P * n / 100)`` and
  ``c`` be the ``k``-th highest score; a row is flagged when ``score >= c``.  Rows tied with the
  ``k``-th are *all* flagged, so the flagged share can exceed ``P`` when scores tie at the
  cut-off (the report says so).  Including every tie keeps the flag a function of the score
  alone: two rows with the same score are never treated differently because of their order in
  the file, an order that may itself be related to the groups being audited.

Each group's confusion matrix and rates (:mod:`.metrics`) are compared with a reference group
(:mod:`.disparities`); the *action* a flag triggers decides which errors matter most
(:data:`KEY_METRICS`): a punitive action (an investigation) harms the wrongly flagged, so the
false positive and false discovery rates are key; an assistive action (an offer of help)
harms the wrongly missed, so the false negative and false omission rates are key.
Optional two-way intersections and bootstrap intervals (:mod:`.bootstrap`) complete the audit.

Beside the ratios the audit gives each group's *difference* to the reference (``m(g) -
m(r)``, never judged by the band), each attribute's demographic-parity and equalised-odds
summaries (:mod:`.summaries`, equal to fairlearn's), and each group's ROC AUC and, when the
scores are probabilities, its calibration (:mod:`.scores`) -- read from ``risk_score`` when
the flagged score is not the model's score (a pilot audits 0/1 flags, so it names the
probability column there).  Every one of them has a bootstrap interval when the audit has a
bootstrap.

The result, :class:`AuditReport`, renders as strictly valid JSON (undefined numbers are
``null``) and as a self-contained, accessible HTML page with an inline SVG chart.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import numpy as np
import polars as pl

from whatworks_analytics.errors import AnalyticsInputError
from whatworks_analytics.fairness.bootstrap import (
    BootstrapSettings,
    GroupIntervals,
    Interval,
    bootstrap_intervals,
)
from whatworks_analytics.fairness.disparities import (
    DISPARITY_METRICS,
    AttributeDisparities,
    Band,
    GroupDisparities,
    MetricDisparity,
    ReferenceRule,
    SizeRule,
    compare_groups,
)
from whatworks_analytics.fairness.html_extras import attribute_extras
from whatworks_analytics.fairness.metrics import (
    METRIC_DEFINITIONS,
    METRIC_LABELS,
    MISSING_GROUP,
    RATE_METRICS,
    GroupCounts,
    confusion_cells,
    group_counts,
    intersection_name,
)
from whatworks_analytics.fairness.scores import GroupScores, score_groups
from whatworks_analytics.fairness.summaries import AttributeSummary, summarise_attribute
from whatworks_analytics.fairness.wording import describe

__all__ = [
    "ACTIONS",
    "KEY_METRICS",
    "Action",
    "AuditConfig",
    "AuditInputError",
    "AuditReport",
    "FlagRule",
    "Flags",
    "IntersectionSummary",
    "audit_csv",
    "audit_frame",
    "flag_scores",
    "key_metrics_for",
    "read_scores_csv",
]

Action = Literal["punitive", "assistive"]

ACTIONS: Final[tuple[str, ...]] = ("punitive", "assistive")

#: The metrics that matter most for each kind of action; ``None`` (not declared) keeps all four
#: error rates.
KEY_METRICS: Final[Mapping[Action | None, tuple[str, ...]]] = {
    "punitive": ("fpr", "fdr"),
    "assistive": ("fnr", "for"),
    None: ("fpr", "fnr", "fdr", "for"),
}

_LABEL: Final[str] = "__whatworks_label"
_FLAG: Final[str] = "__whatworks_flag"
_TRUE_LABELS: Final[tuple[str, ...]] = ("1", "1.0", "true", "yes")
_FALSE_LABELS: Final[tuple[str, ...]] = ("0", "0.0", "false", "no")
_EXAMPLES: Final[int] = 5


def key_metrics_for(action: Action | None) -> tuple[str, ...]:
    """The key metrics of an action (see :data:`KEY_METRICS`)."""
    if action not in KEY_METRICS:
        raise ValueError(f"the action must be one of {', '.join(ACTIONS)}; got {action!r}")
    return KEY_METRICS[action]


class AuditInputError(AnalyticsInputError):
    """The data cannot be audited; ``problems`` lists every reason found, one per item."""

    problems: tuple[str, ...]

    def __init__(self, problems: Iterable[str]) -> None:
        super().__init__(tuple(problems))


# --------------------------------------------------------------------------- flagging


@dataclass(frozen=True, kw_only=True)
class Flags:
    """Which rows were flagged, and the score cut-off that did it.

    In top-percent mode ``requested`` is ``k = ceil(P * n / 100)`` and ``tied`` the number of
    rows scoring exactly the cut-off (all flagged, so ``count`` may exceed ``k``).
    """

    flags: pl.Series
    threshold: float
    requested: int | None = None
    tied: int | None = None

    @property
    def count(self) -> int:
        return int(self.flags.sum())


@dataclass(frozen=True, kw_only=True)
class FlagRule:
    """Exactly one of ``threshold`` (flag when ``score >= T``) or ``top_percent`` (``P``).

    ``P`` must satisfy ``0 < P <= 100``; see the module docstring for how ties are handled.
    """

    threshold: float | None = None
    top_percent: float | None = None

    def __post_init__(self) -> None:
        if (self.threshold is None) == (self.top_percent is None):
            raise ValueError("give exactly one of --threshold and --top-percent")
        if self.threshold is not None and math.isnan(self.threshold):
            raise ValueError("the threshold must be a number")
        if self.top_percent is not None and not 0 < self.top_percent <= 100:
            raise ValueError(
                f"the top percentage must satisfy 0 < P <= 100; got {self.top_percent:g}"
            )

    def apply(self, scores: pl.Series) -> Flags:
        """Flag rows of a numeric score series without nulls or NaN (module docstring)."""
        if self.threshold is not None:
            return Flags(flags=scores >= self.threshold, threshold=float(self.threshold))
        assert self.top_percent is not None
        n = scores.len()
        if n == 0:
            return Flags(flags=scores.cast(pl.Boolean), threshold=math.inf, requested=0)
        # round() guards against 10 * 1000 / 100 = 100.00000000000001 style artefacts.
        k = min(n, max(1, math.ceil(round(self.top_percent * n / 100, 9))))
        values = scores.cast(pl.Float64).to_numpy()
        cutoff = float(np.partition(values, n - k)[n - k])
        tied = int((values == cutoff).sum())
        return Flags(flags=scores >= cutoff, threshold=cutoff, requested=k, tied=tied)

    def to_dict(self) -> dict[str, Any]:
        if self.threshold is not None:
            return {"rule": "threshold", "threshold": self.threshold, "top_percent": None}
        return {
            "rule": "top_percent",
            "threshold": None,
            "top_percent": self.top_percent,
            "ties": "all rows tied with the k-th highest score are flagged, k = ceil(P * n / 100)",
        }


def flag_scores(
    scores: pl.Series, *, threshold: float | None = None, top_percent: float | None = None
) -> Flags:
    """Shortcut for ``FlagRule(threshold=..., top_percent=...).apply(scores)``."""
    return FlagRule(threshold=threshold, top_percent=top_percent).apply(scores)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True, kw_only=True)
class AuditConfig:
    """Everything an audit needs besides the data.

    ``references`` maps an attribute (a group column, or ``"a & b"`` for an intersection) to
    its :class:`ReferenceRule`; attributes not listed use the largest group.
    """

    score: str
    label: str
    groups: tuple[str, ...]
    flag_rule: FlagRule
    references: Mapping[str, ReferenceRule] = field(default_factory=dict)
    band: Band = field(default_factory=Band)
    size_rule: SizeRule = field(default_factory=SizeRule)
    intersections: bool = False
    action: Action | None = None
    bootstrap: BootstrapSettings | None = None
    #: The column of the model's risk scores for ROC AUC and calibration by group; ``None``:
    #: the flagged ``score`` itself.
    risk_score: str | None = None

    def __post_init__(self) -> None:
        if not self.groups:
            raise ValueError("name at least one group column")
        duplicates = sorted({g for g in self.groups if self.groups.count(g) > 1})
        if duplicates:
            raise ValueError(f"group columns named more than once: {', '.join(duplicates)}")
        key_metrics_for(self.action)
        known = set(self.attributes())
        unknown = sorted(set(self.references) - known)
        if unknown:
            raise ValueError(
                f"--reference names attributes that are not audited: {', '.join(unknown)} "
                f"(audited: {', '.join(self.attributes())})"
            )

    @property
    def key_metrics(self) -> tuple[str, ...]:
        return key_metrics_for(self.action)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        if not self.intersections:
            return ()
        return tuple(itertools.combinations(self.groups, 2))

    def attributes(self) -> tuple[str, ...]:
        """The group columns, then the intersections' names if they are audited."""
        return self.groups + tuple(intersection_name(a, b) for a, b in self.pairs())

    def columns(self) -> tuple[str, ...]:
        """The columns the data must have, each once."""
        extra = () if self.risk_score is None else (self.risk_score,)
        return tuple(dict.fromkeys((self.score, *extra, self.label, *self.groups)))

    @property
    def ranking_score(self) -> str:
        """The column ROC AUC and calibration are computed from."""
        return self.score if self.risk_score is None else self.risk_score

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "label": self.label,
            "groups": list(self.groups),
            "flagging": self.flag_rule.to_dict(),
            "references": {name: rule.to_dict() for name, rule in self.references.items()},
            "band": self.band.to_dict(),
            **self.size_rule.to_dict(),
            "intersections": self.intersections,
            "action": self.action,
            "bootstrap": None if self.bootstrap is None else self.bootstrap.to_dict(),
            "risk_score": self.ranking_score,
        }


# --------------------------------------------------------------------------- input


def _positions(indices: Sequence[int], *, line_offset: int | None) -> str:
    shown = [i + (1 if line_offset is None else line_offset) for i in indices[:_EXAMPLES]]
    word = "row" if line_offset is None else "line"
    text = ", ".join(str(i) for i in shown)
    more = ", ..." if len(indices) > _EXAMPLES else ""
    return f"{word}{'s' if len(indices) > 1 else ''} {text}{more}"


def _examples(values: pl.Series) -> str:
    unique = values.unique(maintain_order=True).head(_EXAMPLES).to_list()
    return ", ".join(repr(v) for v in unique)


def _score_values(
    series: pl.Series, name: str, *, line_offset: int | None
) -> tuple[pl.Series | None, list[str]]:
    problems: list[str] = []
    dtype = series.dtype
    if dtype == pl.String:
        trimmed = series.str.strip_chars()
        missing = trimmed.is_null() | (trimmed == "")
        numeric = trimmed.cast(pl.Float64, strict=False)
        bad = ~missing & numeric.is_null()
        if bad.any():
            where = bad.arg_true().to_list()
            problems.append(
                f"column {name!r} must hold numeric scores; {bad.sum()} value(s) are not "
                f"numbers, such as {_examples(trimmed.filter(bad))} "
                f"({_positions(where, line_offset=line_offset)})"
            )
        series = numeric
    elif dtype.is_numeric() or dtype == pl.Boolean:
        series = series.cast(pl.Float64)
        missing = series.is_null()
    else:
        return None, [f"column {name!r} must hold numeric scores; its type is {dtype}"]
    if missing.any():
        where = missing.arg_true().to_list()
        problems.append(
            f"column {name!r} has {missing.sum()} empty score(s) "
            f"({_positions(where, line_offset=line_offset)})"
        )
    nan = series.is_nan().fill_null(False)
    if nan.any():
        where = nan.arg_true().to_list()
        problems.append(
            f"column {name!r} has {nan.sum()} score(s) that are NaN "
            f"({_positions(where, line_offset=line_offset)})"
        )
    return (None if problems else series), problems


def _label_values(
    series: pl.Series, name: str, *, line_offset: int | None
) -> tuple[pl.Series | None, list[str]]:
    dtype = series.dtype
    if dtype == pl.Boolean:
        values = series
        bad = pl.repeat(False, series.len(), eager=True)
        shown = series
    elif dtype.is_numeric():
        values = series == 1
        bad = series.is_not_null() & ~series.is_in([0, 1])
        shown = series
    elif dtype == pl.String:
        text = series.str.strip_chars().str.to_lowercase()
        values = text.is_in(list(_TRUE_LABELS))
        known = text.is_in(list(_TRUE_LABELS + _FALSE_LABELS))
        bad = text.is_not_null() & (text != "") & ~known
        shown = series
        series = text.replace("", None)
    else:
        return None, [f"column {name!r} must hold 0/1 labels; its type is {dtype}"]
    problems: list[str] = []
    if bad.any():
        where = bad.arg_true().to_list()
        problems.append(
            f"column {name!r} must hold 0/1 labels; {bad.sum()} value(s) are neither 0 nor 1, "
            f"such as {_examples(shown.filter(bad))} ({_positions(where, line_offset=line_offset)})"
        )
    missing = series.is_null()
    if missing.any():
        where = missing.arg_true().to_list()
        problems.append(
            f"column {name!r} has {missing.sum()} empty label(s) "
            f"({_positions(where, line_offset=line_offset)})"
        )
    return (None if problems else values.fill_null(False)), problems


def _missing_columns(available: Sequence[str], needed: Sequence[str]) -> str | None:
    missing = [c for c in needed if c not in available]
    if not missing:
        return None
    return (
        f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(map(repr, missing))} "
        f"(the data has: {', '.join(map(repr, available))})"
    )


def read_scores_csv(path: str | os.PathLike[str], *, config: AuditConfig) -> pl.DataFrame:
    """Read the audited columns of a CSV file with polars, checking they all exist.

    Group columns are read as text, so codes such as ``"01"`` keep their leading zeros.  The
    score is parsed as a float and the label as an integer; if that fails the two are read as
    text so that :func:`audit_frame` can say which values are wrong.  Raises
    :class:`AuditInputError` (missing columns, unparsable or empty file) or ``OSError``.
    """
    source = os.fspath(path)
    if os.path.isdir(source):
        raise IsADirectoryError(f"{source} is a folder, not a CSV file")
    try:
        header = pl.read_csv(source, n_rows=0, infer_schema_length=0).columns
    except pl.exceptions.NoDataError:
        raise AuditInputError([f"{source} is empty"]) from None
    except pl.exceptions.ComputeError as error:
        raise AuditInputError([_unreadable(source, error)]) from None
    problem = _missing_columns(header, config.columns())
    if problem:
        raise AuditInputError([problem])
    text = dict.fromkeys(config.groups, pl.String)
    fast: dict[str, Any] = {config.label: pl.Int64, config.score: pl.Float64, **text}
    slow: dict[str, Any] = {config.label: pl.String, config.score: pl.String, **text}
    columns = list(config.columns())
    try:
        return pl.read_csv(source, columns=columns, schema_overrides=fast)
    except pl.exceptions.ComputeError:
        pass
    try:
        return pl.read_csv(source, columns=columns, schema_overrides=slow)
    except pl.exceptions.ComputeError as error:
        raise AuditInputError([_unreadable(source, error)]) from None


def _unreadable(source: str, error: BaseException) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return f"{source} could not be read as CSV: {first}"


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, kw_only=True)
class IntersectionSummary:
    """How many cells of a two-way intersection were large enough to report."""

    attribute: str
    attributes: tuple[str, str]
    cells_reported: int
    cells_omitted: int
    rows_omitted: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "attributes": list(self.attributes),
            "cells_reported": self.cells_reported,
            "cells_omitted": self.cells_omitted,
            "rows_omitted": self.rows_omitted,
        }


def _clean(value: Any) -> Any:
    """Recursively replace non-finite floats with ``None`` so the JSON is strictly valid."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class AuditReport:
    """The result of an audit; :meth:`to_dict`, :meth:`to_json` and :meth:`to_html` render it."""

    config: AuditConfig
    n: int
    flagged: int
    threshold_used: float
    attributes: tuple[AttributeDisparities, ...]
    intersections: tuple[IntersectionSummary, ...] = ()
    intervals: tuple[GroupIntervals, ...] | None = None
    warnings: tuple[str, ...] = ()
    source: str | None = None
    summaries: tuple[AttributeSummary, ...] = ()
    scores: tuple[GroupScores, ...] = ()
    #: Why calibration is not reported (``None`` when it is).
    calibration_note: str | None = None

    @property
    def key_metrics(self) -> tuple[str, ...]:
        return self.config.key_metrics

    def groups(self) -> tuple[GroupDisparities, ...]:
        """Every compared group, attribute by attribute (intersections last)."""
        return tuple(g for attribute in self.attributes for g in attribute.groups)

    def group(self, attribute: str, group: str) -> GroupDisparities:
        for item in self.attributes:
            if item.attribute == attribute:
                return item.group(group)
        raise KeyError(attribute)

    def interval(self, attribute: str, group: str) -> GroupIntervals | None:
        """The bootstrap intervals of a group (``None`` when no bootstrap was run)."""
        return self._intervals_by_group().get((attribute, group))

    def _intervals_by_group(self) -> dict[tuple[str, str], GroupIntervals]:
        return {(i.attribute, i.group): i for i in self.intervals or ()}

    def summary(self, attribute: str) -> AttributeSummary:
        """The demographic-parity and equalised-odds summaries of ``attribute``."""
        for item in self.summaries:
            if item.attribute == attribute:
                return item
        raise KeyError(attribute)

    def group_scores(self, attribute: str, group: str) -> GroupScores:
        """The ROC AUC and calibration of one group."""
        for item in self.scores:
            if (item.attribute, item.group) == (attribute, group):
                return item
        raise KeyError((attribute, group))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (see the CLI's help); every float is finite or ``None``."""
        groups = []
        by_group = self._intervals_by_group()
        for g in self.groups():
            entry = g.to_dict()
            intervals = by_group.get((g.counts.attribute, g.counts.group))
            if intervals is not None:
                entry["ci"] = {m: i.to_dict() for m, i in intervals.metrics.items()}
                entry["disparity_ci"] = {m: i.to_dict() for m, i in intervals.disparities.items()}
                entry["difference_ci"] = {m: i.to_dict() for m, i in intervals.differences.items()}
            groups.append(entry)
        out: dict[str, Any] = {
            "n": self.n,
            "flagged": self.flagged,
            "flagging": {**self.config.flag_rule.to_dict(), "threshold_used": self.threshold_used},
            "action": self.config.action,
            "key_metrics": list(self.key_metrics),
            "band": self.config.band.to_dict(),
            **self.config.size_rule.to_dict(),
            "metric_definitions": dict(METRIC_DEFINITIONS),
            "attributes": [a.to_dict() for a in self.attributes],
            "intersections": [i.to_dict() for i in self.intersections],
            "groups": groups,
            "summaries": [s.to_dict() for s in self.summaries],
            "scores": {
                "risk_score": self.config.ranking_score,
                "calibration_note": self.calibration_note,
                "groups": [s.to_dict() for s in self.scores],
            },
            "bootstrap": None if self.config.bootstrap is None else self.config.bootstrap.to_dict(),
            "warnings": list(self.warnings),
        }
        cleaned: dict[str, Any] = _clean(out)
        return cleaned

    def to_json(self, *, indent: int | None = 2) -> str:
        """Strict JSON: ``allow_nan=False`` guarantees no ``NaN``/``Infinity`` slipped through."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def to_html(self, *, title: str = "Fairness audit of a risk tool") -> str:
        """A self-contained, accessible HTML page (inline CSS and SVG, no external assets)."""
        return _render_html(self, title=title)


# --------------------------------------------------------------------------- orchestration


def audit_frame(
    frame: pl.DataFrame,
    config: AuditConfig,
    *,
    line_offset: int | None = None,
    source: str | None = None,
) -> AuditReport:
    """Audit a polars frame holding the configured columns.

    Every problem with the data is collected and raised at once as :class:`AuditInputError`.
    ``line_offset`` turns row indices into file line numbers in messages (2 for a CSV with a
    header line); ``source`` names the data in the HTML report.
    """
    problems: list[str] = []
    missing = _missing_columns(frame.columns, config.columns())
    if missing:
        raise AuditInputError([missing])
    if frame.height == 0:
        raise AuditInputError(["the data has no rows"])
    scores, score_problems = _score_values(
        frame.get_column(config.score), config.score, line_offset=line_offset
    )
    labels, label_problems = _label_values(
        frame.get_column(config.label), config.label, line_offset=line_offset
    )
    problems.extend(score_problems + label_problems)
    risk = scores
    if config.risk_score is not None and config.risk_score != config.score:
        risk, risk_problems = _score_values(
            frame.get_column(config.risk_score), config.risk_score, line_offset=line_offset
        )
        problems.extend(risk_problems)
    if problems or scores is None or labels is None or risk is None:
        raise AuditInputError(problems)

    flags = config.flag_rule.apply(scores)
    prepared = frame.select(
        *(pl.col(g) for g in config.groups),
        labels.alias(_LABEL),
        flags.flags.alias(_FLAG),
    )
    cells = confusion_cells(prepared, label=_LABEL, flag=_FLAG, attributes=config.groups)
    counts = group_counts(
        prepared,
        label=_LABEL,
        flag=_FLAG,
        attributes=config.groups,
        intersections=config.intersections,
        cells=cells,
    )
    report = _compare(counts, config=config, n=frame.height, flags=flags, source=source)
    return _with_scores(report, prepared, risk, labels)


def _row_keys(
    prepared: pl.DataFrame, attribute: AttributeDisparities, config: AuditConfig
) -> pl.Series:
    columns = (
        (attribute.attribute,)
        if attribute.attribute in config.groups
        else next(
            pair for pair in config.pairs() if intersection_name(*pair) == attribute.attribute
        )
    )
    texts = [prepared.get_column(name).cast(pl.String).fill_null(MISSING_GROUP) for name in columns]
    if len(texts) == 1:
        return texts[0]
    return texts[0] + " & " + texts[1]


def _with_scores(
    report: AuditReport, prepared: pl.DataFrame, risk: pl.Series, labels: pl.Series
) -> AuditReport:
    """``report`` with each group's ROC AUC and calibration (see :mod:`.scores`)."""
    config = report.config
    values = risk.cast(pl.Float64).to_numpy()
    references = {
        name: rule.group for name, rule in config.references.items() if rule.kind == "named"
    }
    scored = score_groups(
        values,
        labels.cast(pl.Int64).to_numpy(),
        {a.attribute: _row_keys(prepared, a, config) for a in report.attributes},
        groups={a.attribute: [g.counts.group for g in a.groups] for a in report.attributes},
        references=references,
        settings=config.bootstrap,
    )
    note = None
    if values.size and not ((values >= 0) & (values <= 1)).all():
        note = (
            f"the scores in {config.ranking_score!r} are not all between 0 and 1, so they are "
            "not read as probabilities and calibration is not reported"
        )
    return replace(report, scores=scored, calibration_note=note)


def audit_csv(path: str | os.PathLike[str], config: AuditConfig) -> AuditReport:
    """Read a CSV with :func:`read_scores_csv` and audit it with :func:`audit_frame`."""
    frame = read_scores_csv(path, config=config)
    return audit_frame(frame, config, line_offset=2, source=os.path.basename(os.fspath(path)))


def _compare(
    counts: Sequence[GroupCounts],
    *,
    config: AuditConfig,
    n: int,
    flags: Flags,
    source: str | None,
) -> AuditReport:
    warnings: list[str] = []
    flagged = flags.count
    if flags.requested is not None and flagged > flags.requested:
        warnings.append(
            f"the top {config.flag_rule.top_percent:g}% is {flags.requested} rows, but "
            f"{flagged} rows are flagged because {flags.tied} rows tie at the cut-off score "
            f"{flags.threshold:g} and all ties are flagged"
        )
    if flagged == 0:
        warnings.append("no row is flagged: precision, FDR and the flagged shares are undefined")
    elif flagged == n:
        warnings.append("every row is flagged: NPV, FOR and the unflagged shares are undefined")

    by_attribute: dict[str, list[GroupCounts]] = {name: [] for name in config.attributes()}
    for item in counts:
        by_attribute[item.attribute].append(item)
    for name in config.groups:
        if any(g.group == MISSING_GROUP for g in by_attribute[name]):
            warnings.append(
                f"{name}: rows with no value are audited as the group {MISSING_GROUP!r}"
            )

    summaries: list[IntersectionSummary] = []
    for first, second in config.pairs():
        name = intersection_name(first, second)
        cells = by_attribute[name]
        kept = [g for g in cells if config.size_rule.large_enough(g)]
        dropped = [g for g in cells if not config.size_rule.large_enough(g)]
        by_attribute[name] = kept
        summaries.append(
            IntersectionSummary(
                attribute=name,
                attributes=(first, second),
                cells_reported=len(kept),
                cells_omitted=len(dropped),
                rows_omitted=sum(g.n for g in dropped),
            )
        )
        if dropped:
            warnings.append(
                f"{name}: {len(dropped)} cell(s) with fewer than "
                f"{config.size_rule.min_group_size} rows ({sum(g.n for g in dropped)} rows in "
                "all) are not reported"
            )

    problems: list[str] = []
    compared: list[AttributeDisparities] = []
    for name in config.attributes():
        rule = config.references.get(name, ReferenceRule())
        groups = by_attribute[name]
        if rule.kind == "named" and rule.group not in {g.group for g in groups}:
            available = sorted(g.group for g in groups)
            shown = ", ".join(map(repr, available[:20])) + (", ..." if len(available) > 20 else "")
            which = "groups" if name in config.groups else "cells large enough to report"
            problems.append(
                f"--reference {name}={rule.group}: no such group "
                f"(the {which} of {name!r} are: {shown or 'none'})"
            )
            continue
        result = compare_groups(
            groups,
            rule=rule,
            band=config.band,
            size_rule=config.size_rule,
            metrics=DISPARITY_METRICS,
            key_metrics=config.key_metrics,
        )
        compared.append(
            AttributeDisparities(
                attribute=name,
                rule=result.rule,
                references=result.references,
                groups=result.groups,
                notes=result.notes,
            )
        )
        warnings.extend(f"{name}: {note}" for note in result.notes)
    if problems:
        raise AuditInputError(problems)

    parity = tuple(
        summarise_attribute(
            attribute.attribute,
            [g.counts for g in attribute.groups],
            judged=[g.counts.group for g in attribute.groups if not g.too_small],
            settings=config.bootstrap,
        )
        for attribute in compared
    )
    intervals = None
    if config.bootstrap is not None:
        reported = [g.counts for attribute in compared for g in attribute.groups]
        references = {
            (attribute.attribute, metric): group
            for attribute in compared
            for metric, group in attribute.references.items()
        }
        intervals = bootstrap_intervals(
            reported,
            references=references,
            settings=config.bootstrap,
            disparity_metrics=DISPARITY_METRICS,
        )
    return AuditReport(
        config=config,
        n=n,
        flagged=flagged,
        threshold_used=flags.threshold,
        attributes=tuple(compared),
        intersections=tuple(summaries),
        intervals=intervals,
        warnings=tuple(warnings),
        source=source,
        summaries=parity,
    )


# --------------------------------------------------------------------------- HTML

_CSS: Final[str] = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #0b0c0c; background: #ffffff; line-height: 1.5; margin: 0 auto; max-width: 75rem;
  padding: 1rem 1.5rem 3rem; }
h1, h2, h3 { line-height: 1.25; }
a { color: #1d4f91; }
:focus-visible { outline: 3px solid #0b0c0c; outline-offset: 2px; background: #ffdd00; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.summary dt { font-weight: 700; }
dl.summary dd { margin: 0; }
.table-wrap { overflow-x: auto; margin: 0 0 2rem; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 700; padding: .5rem 0; caption-side: top; }
th, td { border: 1px solid #505a5f; padding: .3rem .5rem; vertical-align: top; }
thead th { background: #f3f2f1; text-align: left; }
td { text-align: right; }
th[scope="row"] { text-align: left; font-weight: 400; }
.key { background: #e8f1f8; }
.outside { color: #942514; font-weight: 700; }
.not-judged { color: #505a5f; font-style: italic; }
.verdict { display: block; font-size: .875rem; }
.ci { display: block; font-size: .875rem; color: #0b0c0c; }
.warnings li { margin-bottom: .25rem; }
figure { margin: 0 0 1rem; }
figcaption { font-weight: 700; margin-bottom: .25rem; }
svg text { font-family: inherit; }
"""

_MARKERS: Final[tuple[str, ...]] = ("circle", "square", "triangle", "diamond")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "undefined" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "undefined" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _slug(text: str, index: int) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
    return f"attr-{index}-{cleaned[:40] or 'x'}"


def _marker(shape: str, x: float, y: float, *, filled: bool, colour: str) -> str:
    fill = colour if filled else "#ffffff"
    style = f'fill="{fill}" stroke="{colour}" stroke-width="2"'
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" {style}/>'
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" {style}/>'
    if shape == "triangle":
        points = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y + 5:.1f} {x - 6:.1f},{y + 5:.1f}"
        return f'<polygon points="{points}" {style}/>'
    points = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} {x - 6:.1f},{y:.1f}"
    return f'<polygon points="{points}" {style}/>'


def _key(metric: str, key: Sequence[str] | set[str]) -> str:
    return ' class="key"' if metric in key else ""


def _verdict(item: MetricDisparity, group: str | None = None) -> str:
    if group is not None and item.reference_group == group:
        return "reference"
    if item.within_band is None:
        return "not judged"
    return "within band" if item.within_band else "outside band"


def _chart(report: AuditReport, attribute: AttributeDisparities, chart_id: str) -> str:
    metrics = report.key_metrics
    band = report.config.band
    groups = attribute.groups
    ratios = [
        r for g in groups for m in metrics if (r := g.disparity(m).ratio) is not None and r > 0
    ]
    floor, ceiling = 1 / 64, 64.0
    lo = max(floor, min([band.low, *ratios]) / 1.2)
    hi = min(ceiling, max([band.high, *ratios]) * 1.2)
    left, plot, right, top, row, gap = 230, 420, 230, 56, 18, 12
    width = left + plot + right
    height = top + len(groups) * (len(metrics) * row + gap) + 20

    def x_of(value: float) -> float:
        clipped = min(max(value, lo), hi)
        return left + plot * (math.log(clipped) - math.log(lo)) / (math.log(hi) - math.log(lo))

    parts: list[str] = []
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    names = ", ".join(METRIC_LABELS[m] for m in metrics)
    references = "; ".join(f"{m.upper()}: {attribute.references.get(m) or 'none'}" for m in metrics)
    outside = [
        f"{g.counts.group} {m.upper()} {_num(d.ratio)}"
        for g in groups
        for m in metrics
        if (d := g.disparity(m)).within_band is False
    ]
    unjudged = sorted(
        {g.counts.group for g in groups for m in metrics if g.disparity(m).within_band is None}
    )
    description = (
        f"Dot chart of the disparity ratios ({names}) of each group of {attribute.attribute} "
        f"against the reference group ({references}), on a logarithmic scale, with the "
        f"tolerance band {band.low:g} to {band.high:g} shaded. "
        f"Outside the band: {', '.join(outside) if outside else 'none'}. "
        f"Not judged: {', '.join(unjudged) if unjudged else 'none'}. "
        "The same figures are in the table that follows."
    )
    parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" font-size="12">'
    )
    parts.append(
        f'<title id="{title_id}">Disparity ratios for {_e(attribute.attribute)} '
        f"against the tolerance band</title>"
    )
    parts.append(f'<desc id="{desc_id}">{_e(description)}</desc>')
    parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    band_x0, band_x1 = x_of(band.low), x_of(band.high)
    bottom = height - 20
    parts.append(
        f'<rect x="{band_x0:.1f}" y="{top - 8}" width="{band_x1 - band_x0:.1f}" '
        f'height="{bottom - top + 8}" fill="#cfe3d6" stroke="#00703c" stroke-width="1"/>'
    )
    candidates = (1 / 64, 1 / 16, 0.25, 0.5, 2 / 3, band.low, 1, band.high, 1.5, 2, 4, 16, 64)
    ticks = [t for t in candidates if lo <= t <= hi]
    for tick in sorted(set(ticks)):
        tx = x_of(tick)
        dash = "" if tick == 1 else ' stroke-dasharray="2 3"'
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 8}" x2="{tx:.1f}" y2="{bottom}" '
            f'stroke="#505a5f" stroke-width="1"{dash}/>'
        )
        parts.append(
            f'<text x="{tx:.1f}" y="{top - 14}" text-anchor="middle" fill="#0b0c0c">'
            f"{tick:.3g}</text>"
        )
    # Legend.
    legend_x = left
    for index, metric in enumerate(metrics):
        shape = _MARKERS[index % len(_MARKERS)]
        parts.append(_marker(shape, legend_x + 6, 14, filled=True, colour="#0b0c0c"))
        parts.append(f'<text x="{legend_x + 16}" y="18" fill="#0b0c0c">{_e(metric.upper())}</text>')
        legend_x += 70
    parts.append(
        f'<text x="{legend_x}" y="18" fill="#0b0c0c">filled: judged; hollow: not judged; '
        "red: outside band</text>"
    )
    y = top
    for g in groups:
        label = g.counts.group + (" (too small)" if g.too_small else "")
        block = len(metrics) * row
        parts.append(
            f'<text x="{left - 10}" y="{y + block / 2 + 4:.1f}" text-anchor="end" '
            f'fill="#0b0c0c">{_e(label[:36])}</text>'
        )
        for index, metric in enumerate(metrics):
            item = g.disparity(metric)
            cy = y + index * row + row / 2
            shape = _MARKERS[index % len(_MARKERS)]
            if item.ratio is None:
                parts.append(
                    f'<text x="{left + 4}" y="{cy + 4:.1f}" fill="#505a5f">'
                    f"{_e(metric.upper())}: undefined</text>"
                )
                continue
            colour = "#942514" if item.within_band is False else "#0b0c0c"
            cx = x_of(item.ratio) if item.ratio > 0 else left
            parts.append(_marker(shape, cx, cy, filled=item.within_band is not None, colour=colour))
            parts.append(
                f'<text x="{left + plot + 8}" y="{cy + 4:.1f}" fill="{colour}">'
                f"{_e(metric.upper())} {_num(item.ratio)} ({_verdict(item, g.counts.group)})</text>"
            )
        y += block + gap
    parts.append("</svg>")
    return "".join(parts)


def _rates_table(report: AuditReport, attribute: AttributeDisparities, caption: str) -> str:
    key = set(report.key_metrics)
    head = "".join(
        f'<th scope="col"{_key(m, key)}>{_e(METRIC_LABELS[m])}</th>' for m in RATE_METRICS
    )
    rows = []
    for g in attribute.groups:
        c = g.counts
        rates = c.rates()
        cells = "".join(f"<td{_key(m, key)}>{_pct(rates[m])}</td>" for m in RATE_METRICS)
        rows.append(
            f'<tr><th scope="row">{_e(c.group)}</th><td>{c.n:,}</td><td>{c.tp:,}</td>'
            f"<td>{c.fp:,}</td><td>{c.tn:,}</td><td>{c.fn:,}</td>{cells}</tr>"
        )
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{_e(caption)}">'
        f"<table><caption>{_e(caption)}</caption><thead><tr>"
        '<th scope="col">Group</th><th scope="col">Rows (n)</th>'
        '<th scope="col">True positives</th><th scope="col">False positives</th>'
        '<th scope="col">True negatives</th><th scope="col">False negatives</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _disparity_table(report: AuditReport, attribute: AttributeDisparities, caption: str) -> str:
    key = report.key_metrics
    metrics = list(key) + [m for m in DISPARITY_METRICS if m not in key]
    head = "".join(
        f'<th scope="col"{_key(m, key)}>{_e(METRIC_LABELS[m])}{" (key)" if m in key else ""}</th>'
        for m in metrics
    )
    rows = []
    for g in attribute.groups:
        intervals = report.interval(g.counts.attribute, g.counts.group)
        cells = []
        for m in metrics:
            item = g.disparity(m)
            verdict = _verdict(item, g.counts.group)
            css = {"outside band": "outside", "not judged": "not-judged"}.get(verdict, "")
            if m in key:
                css = f"{css} key".strip()
            note = f" ({item.note})" if item.within_band is None and item.note else ""
            ci = ""
            if intervals is not None and m in intervals.disparities:
                interval: Interval = intervals.disparities[m]
                level = report.config.bootstrap.confidence if report.config.bootstrap else 0.95
                ci = (
                    f'<span class="ci">{100 * level:g}% CI {_num(interval.low)} '
                    f"to {_num(interval.high) if interval.high is not None else 'unbounded'}</span>"
                )
            cells.append(
                f'<td class="{css}">{_num(item.ratio)}'
                f'<span class="verdict">{_e(verdict + note)}</span>{ci}</td>'
            )
        size = "Yes: " + "; ".join(g.too_small_reasons) if g.too_small else "No"
        rows.append(
            f'<tr><th scope="row">{_e(g.counts.group)}</th>{"".join(cells)}<td>{_e(size)}</td></tr>'
        )
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{_e(caption)}">'
        f"<table><caption>{_e(caption)}</caption><thead><tr>"
        f'<th scope="col">Group</th>{head}<th scope="col">Too small to judge?</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _render_html(report: AuditReport, *, title: str) -> str:
    config = report.config
    band = config.band
    rule = config.flag_rule
    if rule.threshold is not None:
        flag_text = f"score at least {rule.threshold:g}"
    else:
        flag_text = (
            f"top {rule.top_percent:g}% of scores (cut-off score {report.threshold_used:g}; "
            "rows tied at the cut-off are all flagged)"
        )
    if config.action is None:
        action_text = (
            "not declared, so all four error rates are treated as key: false positives matter "
            "when a flag triggers an intervention, false negatives when it triggers help"
        )
    elif config.action == "punitive":
        action_text = (
            "punitive (for example an investigation): a false positive harms a family who "
            "should not have been flagged, so the false positive and false discovery rates "
            "are the key metrics"
        )
    else:
        action_text = (
            "assistive (for example an offer of support): a false negative denies help to a "
            "family who needed it, so the false negative and false omission rates are the key "
            "metrics"
        )
    key_names = ", ".join(METRIC_LABELS[m] for m in report.key_metrics)
    summary = [
        ("Data", report.source or "data frame"),
        ("Rows audited", f"{report.n:,}"),
        (
            "Rows flagged",
            f"{report.flagged:,} ({_pct(report.flagged / report.n if report.n else None)})",
        ),
        ("Flag rule", flag_text),
        ("Score column", config.score),
        ("Outcome column", config.label),
        ("Action triggered by a flag", action_text),
        ("Key metrics", key_names),
        ("Tolerance band", f"{band.low:g} to {band.high:g} (ratio to the reference group)"),
        (
            "Too small to judge",
            f"fewer than {config.size_rule.min_group_size} rows, or fewer than "
            f"{config.size_rule.min_denominator} rows in a rate's denominator",
        ),
    ]
    if config.bootstrap is not None:
        summary.append(
            (
                "Uncertainty",
                f"{100 * config.bootstrap.confidence:g}% percentile bootstrap intervals, "
                f"{config.bootstrap.replicates} replicates, seed {config.bootstrap.seed}",
            )
        )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_e(title)}</h1>",
        f"<p>Generated {dt.datetime.now(dt.UTC).date().isoformat()} by whatworks-analytics.</p>",
        '<h2 id="summary">Summary</h2>',
        '<dl class="summary">',
        *(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in summary),
        "</dl>",
    ]
    if report.warnings:
        parts.append('<h2 id="warnings">Points to note</h2><ul class="warnings">')
        parts.extend(f"<li>{_e(w)}</li>" for w in report.warnings)
        parts.append("</ul>")
    outside = [
        (g.counts.attribute, g.counts.group, m, g.disparity(m))
        for g in report.groups()
        for m in report.key_metrics
        if g.disparity(m).within_band is False
    ]
    if report.calibration_note:
        parts.append(f"<p>Calibration is not reported: {_e(report.calibration_note)}.</p>")
    parts.append('<h2 id="findings">Key findings</h2>')
    if outside:
        parts.append(
            "<p>Key-metric ratios outside the tolerance band (groups too small to judge are "
            "never judged):</p><ul>"
        )
        parts.extend(
            f"<li>{_e(a)}, {_e(METRIC_LABELS[m])}: "
            f"{_e(describe(m, d.ratio, group=grp, reference=d.reference_group))}</li>"
            for a, grp, m, d in outside
        )
        parts.append("</ul>")
    else:
        parts.append("<p>No key-metric ratio that could be judged lies outside the band.</p>")
    for index, attribute in enumerate(report.attributes, start=1):
        chart_id = _slug(attribute.attribute, index)
        refs = "; ".join(
            f"{METRIC_LABELS[m]}: {g or 'none'}"
            for m, g in attribute.references.items()
            if m in report.key_metrics
        )
        parts.append(f'<section aria-labelledby="{chart_id}-h">')
        parts.append(f'<h2 id="{chart_id}-h">{_e(attribute.attribute)}</h2>')
        parts.append(f"<p>Reference: {_e(attribute.rule.describe())} ({_e(refs)}).</p>")
        parts.append(
            f"<figure><figcaption>Key-metric disparity ratios for {_e(attribute.attribute)}"
            f"</figcaption>{_chart(report, attribute, chart_id)}</figure>"
        )
        parts.append(
            _disparity_table(
                report, attribute, f"Disparity ratios to the reference, {attribute.attribute}"
            )
        )
        parts.append(attribute_extras(report, attribute))
        parts.append(
            _rates_table(report, attribute, f"Confusion counts and rates, {attribute.attribute}")
        )
        parts.append("</section>")
    parts.append('<h2 id="definitions">Definitions</h2>')
    parts.append(
        '<div class="table-wrap"><table><caption>How each rate is computed</caption><thead><tr>'
        '<th scope="col">Rate</th><th scope="col">Formula</th></tr></thead><tbody>'
    )
    parts.extend(
        f'<tr><th scope="row">{_e(METRIC_LABELS[m])}</th>'
        f'<td style="text-align:left">{_e(METRIC_DEFINITIONS[m])}</td></tr>'
        for m in RATE_METRICS
    )
    parts.append("</tbody></table></div>")
    parts.append(
        "<p>tp: flagged and the outcome happened; fp: flagged, outcome did not happen; "
        "tn: not flagged, outcome did not happen; fn: not flagged, outcome happened. "
        "A disparity ratio is a group's rate divided by the reference group's rate; it is "
        "undefined when the reference rate is 0; a difference is the group's rate minus the "
        "reference's. The parity summaries are the largest gap between any two groups: in the "
        "selection rate (demographic parity) and in the true or false positive rate, "
        "whichever is larger (equalised odds); a difference of 0 and a ratio of 1 are parity. "
        "ROC AUC is the chance that a row with the outcome scores above one without it; "
        "observed / expected is the group's observed rate over its mean score.</p>"
    )
    parts.extend(["</main>", "</body>", "</html>"])
    return "\n".join(parts) + "\n"
