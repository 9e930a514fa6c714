"""Confusion-matrix metrics by group, computed in one vectorised pass.

For each row a risk tool either *flags* it (its score reached the threshold) or not, and the
row's *label* says whether the outcome the tool predicts actually happened (1) or not (0).
Within one group the four cells are

* ``tp`` -- flagged and the outcome happened (true positive);
* ``fp`` -- flagged but the outcome did not happen (false positive);
* ``tn`` -- not flagged and the outcome did not happen (true negative);
* ``fn`` -- not flagged but the outcome happened (false negative);

with ``n = tp + fp + tn + fn``.  The rates reported for every group are::

    base_rate      = (tp + fn) / n          share of the group with the outcome
    selection_rate = (tp + fp) / n          share of the group flagged
    fpr            = fp / (fp + tn)         false positive rate: flagged among those without it
    fnr            = fn / (fn + tp)         false negative rate: missed among those with it
    precision      = tp / (tp + fp)         positive predictive value
    npv            = tn / (tn + fn)         negative predictive value
    fdr            = fp / (tp + fp)         false discovery rate   = 1 - precision
    for            = fn / (tn + fn)         false omission rate    = 1 - npv

A rate whose denominator is zero is *undefined*: ``None`` in Python values, ``NaN`` in numpy
arrays.  The counting is a single polars ``group_by`` over every group column at once (the
joint cells); the per-attribute margins and the two-way intersections are then sums over that
small table, so the rows are scanned once however many attributes are audited.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = [
    "DENOMINATORS",
    "METRIC_DEFINITIONS",
    "METRIC_LABELS",
    "MISSING_GROUP",
    "RATE_METRICS",
    "GroupCounts",
    "confusion_cells",
    "group_counts",
    "intersection_name",
    "rates_from_counts",
]

#: Every rate reported for a group, in report order.
RATE_METRICS: Final[tuple[str, ...]] = (
    "base_rate",
    "selection_rate",
    "fpr",
    "fnr",
    "precision",
    "npv",
    "fdr",
    "for",
)

#: Each rate's formula, as printed in the reports.
METRIC_DEFINITIONS: Final[Mapping[str, str]] = {
    "base_rate": "(tp + fn) / n",
    "selection_rate": "(tp + fp) / n",
    "fpr": "fp / (fp + tn)",
    "fnr": "fn / (fn + tp)",
    "precision": "tp / (tp + fp)",
    "npv": "tn / (tn + fn)",
    "fdr": "fp / (tp + fp)",
    "for": "fn / (tn + fn)",
}

#: Human names of the rates, for the HTML report.
METRIC_LABELS: Final[Mapping[str, str]] = {
    "base_rate": "Base rate",
    "selection_rate": "Selection rate",
    "fpr": "False positive rate (FPR)",
    "fnr": "False negative rate (FNR)",
    "precision": "Precision (PPV)",
    "npv": "Negative predictive value (NPV)",
    "fdr": "False discovery rate (FDR)",
    "for": "False omission rate (FOR)",
}

#: The population each rate is a share of: ``"n"``, ``"positives"`` (tp + fn),
#: ``"negatives"`` (fp + tn), ``"flagged"`` (tp + fp) or ``"unflagged"`` (tn + fn).
DENOMINATORS: Final[Mapping[str, str]] = {
    "base_rate": "n",
    "selection_rate": "n",
    "fpr": "negatives",
    "fnr": "positives",
    "precision": "flagged",
    "npv": "unflagged",
    "fdr": "flagged",
    "for": "unflagged",
}

#: Group name given to rows whose group value is missing (null).
MISSING_GROUP: Final[str] = "(missing)"

_CELLS: Final[tuple[str, ...]] = ("tp", "fp", "tn", "fn")


def intersection_name(first: str, second: str) -> str:
    """The attribute (or group) name of a two-way intersection: ``"first & second"``."""
    return f"{first} & {second}"


@dataclass(frozen=True, kw_only=True)
class GroupCounts:
    """The confusion matrix of one group of one attribute (or intersection of two)."""

    attribute: str
    group: str
    tp: int
    fp: int
    tn: int
    fn: int

    def __post_init__(self) -> None:
        for cell in _CELLS:
            if getattr(self, cell) < 0:
                raise ValueError(f"{cell} must be non-negative")

    @property
    def n(self) -> int:
        """``tp + fp + tn + fn``."""
        return self.tp + self.fp + self.tn + self.fn

    @property
    def positives(self) -> int:
        """Rows with the outcome: ``tp + fn``."""
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        """Rows without the outcome: ``fp + tn``."""
        return self.fp + self.tn

    @property
    def flagged(self) -> int:
        """Rows the tool flagged: ``tp + fp``."""
        return self.tp + self.fp

    @property
    def unflagged(self) -> int:
        """Rows the tool did not flag: ``tn + fn``."""
        return self.tn + self.fn

    def denominator(self, metric: str) -> int:
        """The denominator of ``metric`` for this group (see :data:`DENOMINATORS`)."""
        try:
            population = DENOMINATORS[metric]
        except KeyError:
            raise ValueError(f"unknown metric {metric!r}") from None
        return int(getattr(self, population))

    def rate(self, metric: str) -> float | None:
        """The value of ``metric``, or ``None`` when its denominator is zero."""
        value = float(rates_from_counts(self.tp, self.fp, self.tn, self.fn)[metric])
        return None if math.isnan(value) else value

    def rates(self) -> dict[str, float | None]:
        """Every rate of :data:`RATE_METRICS`, ``None`` where undefined."""
        arrays = rates_from_counts(self.tp, self.fp, self.tn, self.fn)
        out: dict[str, float | None] = {}
        for metric in RATE_METRICS:
            value = float(arrays[metric])
            out[metric] = None if math.isnan(value) else value
        return out

    def cells(self) -> tuple[int, int, int, int]:
        """``(tp, fp, tn, fn)``."""
        return (self.tp, self.fp, self.tn, self.fn)

    def to_dict(self) -> dict[str, Any]:
        """Counts and rates as JSON-ready values (undefined rates are ``None``)."""
        return {
            "attribute": self.attribute,
            "group": self.group,
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            **self.rates(),
        }


def rates_from_counts(
    tp: npt.ArrayLike, fp: npt.ArrayLike, tn: npt.ArrayLike, fn: npt.ArrayLike
) -> dict[str, npt.NDArray[np.float64]]:
    """Every rate of :data:`RATE_METRICS` from broadcastable arrays of cell counts.

    Element-wise, with ``NaN`` wherever the denominator is zero (see the module docstring for
    the formulas).  Used for point estimates and, on ``(replicates, groups)`` arrays, for the
    bootstrap.
    """
    tp_ = np.asarray(tp, dtype=np.float64)
    fp_ = np.asarray(fp, dtype=np.float64)
    tn_ = np.asarray(tn, dtype=np.float64)
    fn_ = np.asarray(fn, dtype=np.float64)
    n = tp_ + fp_ + tn_ + fn_
    positives = tp_ + fn_
    negatives = fp_ + tn_
    flagged = tp_ + fp_
    unflagged = tn_ + fn_

    def share(numerator: npt.NDArray[np.float64], denominator: npt.NDArray[np.float64]) -> Any:
        out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
        np.divide(numerator, denominator, out=out, where=denominator > 0)
        return out

    return {
        "base_rate": share(positives, n),
        "selection_rate": share(flagged, n),
        "fpr": share(fp_, negatives),
        "fnr": share(fn_, positives),
        "precision": share(tp_, flagged),
        "npv": share(tn_, unflagged),
        "fdr": share(fp_, flagged),
        "for": share(fn_, unflagged),
    }


def confusion_cells(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    label: str,
    flag: str,
    attributes: Sequence[str],
) -> pl.DataFrame:
    """Confusion counts for every joint cell of ``attributes`` (one ``group_by``).

    ``label`` and ``flag`` must be Boolean columns without nulls.  Group values are cast to
    strings and missing values become :data:`MISSING_GROUP`.  Returns one row per observed
    combination of the attributes with the columns ``*attributes, tp, fp, tn, fn``.
    """
    if not attributes:
        raise ValueError("at least one attribute is needed")
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    keys = [pl.col(name).cast(pl.String).fill_null(MISSING_GROUP) for name in attributes]
    # One count per (cell, label, flag) with the pair packed in a 2-bit code: counting is
    # about twice as fast as four boolean sums per cell.  code = 2 * label + flag.
    code = (pl.col(label).cast(pl.UInt8) * 2 + pl.col(flag).cast(pl.UInt8)).alias("_code")
    counted = pl.col("len").cast(pl.Int64)
    per_code = {"tp": 3, "fp": 1, "tn": 0, "fn": 2}
    return (
        lazy.group_by([*keys, code])
        .len()
        .group_by(list(attributes))
        .agg(
            counted.filter(pl.col("_code") == value).sum().alias(cell)
            for cell, value in per_code.items()
        )
        .collect()
    )


def _margin(cells: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    return cells.group_by(keys).agg(pl.col(cell).sum() for cell in _CELLS).sort(keys)


def group_counts(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    label: str,
    flag: str,
    attributes: Sequence[str],
    intersections: bool = False,
    cells: pl.DataFrame | None = None,
) -> tuple[GroupCounts, ...]:
    """Confusion counts of every group of every attribute (and, optionally, of every pair).

    Groups come out attribute by attribute in the order given, each attribute's groups sorted
    by name; with ``intersections=True`` the pairs ``(a, b)`` of attributes follow in
    ``itertools.combinations`` order, their attribute and group names built by
    :func:`intersection_name`.  Pass ``cells`` (from :func:`confusion_cells`) to reuse a count.
    """
    if cells is None:
        cells = confusion_cells(frame, label=label, flag=flag, attributes=attributes)
    out: list[GroupCounts] = []
    keysets: list[tuple[str, ...]] = [(name,) for name in attributes]
    if intersections:
        keysets.extend(itertools.combinations(attributes, 2))
    for keys in keysets:
        margin = _margin(cells, keys)
        attribute = keys[0] if len(keys) == 1 else intersection_name(*keys)
        columns = [margin.get_column(key).to_list() for key in keys]
        counts = [margin.get_column(cell).to_list() for cell in _CELLS]
        for index in range(margin.height):
            values = [str(column[index]) for column in columns]
            group = values[0] if len(values) == 1 else intersection_name(*values)
            tp, fp, tn, fn = (int(column[index]) for column in counts)
            out.append(GroupCounts(attribute=attribute, group=group, tp=tp, fp=fp, tn=tn, fn=fn))
    return tuple(out)
