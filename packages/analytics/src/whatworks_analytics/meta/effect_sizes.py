"""Effect sizes and their sampling variances from the statistics that studies report.

Every formula here follows the defaults of ``escalc()`` in the R package metafor
(Viechtbauer, 2010, *Journal of Statistical Software* 36(3),
https://doi.org/10.18637/jss.v036.i03), so that results can be checked against it:

* ``SMD`` -- Hedges' *g*: the standardised mean difference with the exact small-sample
  correction (Hedges, 1981) and the large-sample variance (``vtype="LS"``).
* ``RR`` -- the log risk ratio from a 2x2 table.
* ``OR`` -- the log odds ratio from a 2x2 table.
* ``GENERIC`` -- effect sizes ``yi`` and sampling variances ``vi`` computed elsewhere.

For 2x2 tables, ``ai``/``bi`` are the events and non-events in the treatment group and
``ci``/``di`` those in the control group.  A study with a zero in any of its four cells has
0.5 added to all four cells (metafor's ``add=1/2, to="only0"``); the rows that were corrected
are kept in :attr:`EffectSizes.corrected_rows` so that pages can say so.

Counts and group sizes need not be whole numbers: design-effect adjusted ("effective")
numbers from cluster-randomised trials are fractional, and metafor accepts them too.

Bad input raises :class:`MetaInputError`, which lists every problem at once with its row
(rows are numbered from 1, in input order) and column.  A study with a missing value in a
column it needs is left out, with a :class:`StudiesOmittedWarning` naming it, as metafor does
(``na.action="na.omit"``); ``missing="error"`` makes a missing value a problem instead.
:attr:`EffectSizes.omitted` keeps the studies left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln

from whatworks_analytics.errors import AnalyticsInputError

if TYPE_CHECKING:
    import polars as pl

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "REQUIRED_COLUMNS",
    "EffectSizes",
    "InputProblem",
    "Measure",
    "MetaInputError",
    "OmittedStudy",
    "StudiesOmittedWarning",
    "effect_sizes_from_frame",
    "generic",
    "hedges_correction",
    "hedges_g",
    "log_odds_ratio",
    "log_risk_ratio",
]


class Measure(StrEnum):
    """The effect-size measures that can be computed and pooled."""

    SMD = "SMD"
    RR = "RR"
    OR = "OR"
    GENERIC = "GENERIC"

    @property
    def label(self) -> str:
        """A human-readable name of the measure on the scale it is pooled on."""
        return _MEASURE_LABELS[self]

    @property
    def is_ratio(self) -> bool:
        """True for measures pooled on the log scale (risk and odds ratios)."""
        return self in (Measure.RR, Measure.OR)

    @property
    def ratio_label(self) -> str | None:
        """The name of the back-transformed (exponentiated) measure, if it has one."""
        return _RATIO_LABELS.get(self)


_MEASURE_LABELS = {
    Measure.SMD: "standardised mean difference (Hedges' g)",
    Measure.RR: "log risk ratio",
    Measure.OR: "log odds ratio",
    Measure.GENERIC: "effect size",
}
_RATIO_LABELS = {Measure.RR: "risk ratio", Measure.OR: "odds ratio"}

#: The numeric columns each measure needs (a ``study`` label column is optional).
REQUIRED_COLUMNS: Mapping[Measure, tuple[str, ...]] = {
    Measure.GENERIC: ("yi", "vi"),
    Measure.RR: ("ai", "bi", "ci", "di"),
    Measure.OR: ("ai", "bi", "ci", "di"),
    Measure.SMD: ("m1", "sd1", "n1", "m2", "sd2", "n2"),
}

#: Text cells read as a missing value (compared case-insensitively, after trimming spaces).
MISSING_MARKERS: tuple[str, ...] = ("", "na", "nan", "null", "none", "n/a", ".")


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with the input; ``row`` counts from 1 and is None for whole-input
    problems, ``column`` is None for problems that belong to no single column."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class MetaInputError(AnalyticsInputError):
    """The input to a meta-analysis is invalid; :attr:`problems` lists every problem found."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} {noun} in the meta-analysis input:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__(self.problems, message="\n".join(lines))


class StudiesOmittedWarning(UserWarning):
    """Studies with missing values were left out; :attr:`studies` names them."""

    def __init__(self, message: str, studies: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.studies = studies


@dataclass(frozen=True)
class OmittedStudy:
    """A study left out because of missing values: its row (from 1), label and the columns
    that had no value."""

    row: int
    label: str
    columns: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.label} (row {self.row}; missing {', '.join(self.columns)})"


Missing = Literal["drop", "error"]


@dataclass(frozen=True)
class EffectSizes:
    """Per-study effect sizes ``yi`` and sampling variances ``vi`` on the pooling scale
    (log scale for RR and OR).  The arrays are read-only."""

    measure: Measure
    study: tuple[str, ...]
    yi: FloatArray
    vi: FloatArray
    #: Rows (counting from 1) that had 0.5 added to every cell because of a zero cell.
    corrected_rows: tuple[int, ...] = field(default=())
    #: Studies left out of the input because of missing values (not counted in ``k``).
    omitted: tuple[OmittedStudy, ...] = field(default=())
    #: For RR and OR, the 2x2 counts as given (before any 0.5 was added), which
    #: Mantel-Haenszel and Peto pooling use; None otherwise.
    counts: Mapping[str, FloatArray] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        yi = np.array(self.yi, dtype=np.float64)
        vi = np.array(self.vi, dtype=np.float64)
        yi.setflags(write=False)
        vi.setflags(write=False)
        object.__setattr__(self, "yi", yi)
        object.__setattr__(self, "vi", vi)
        if not (yi.ndim == vi.ndim == 1 and yi.shape == vi.shape == (len(self.study),)):
            raise ValueError("study, yi and vi must be one-dimensional and of equal length")

    @property
    def k(self) -> int:
        """The number of studies."""
        return len(self.study)

    @property
    def sei(self) -> FloatArray:
        """Standard errors, ``sqrt(vi)``."""
        return np.sqrt(self.vi)


# --------------------------------------------------------------------------- formulas


def hedges_correction(m: npt.ArrayLike) -> FloatArray:
    """Exact small-sample bias correction of the standardised mean difference.

    ``J(m) = Gamma(m/2) / (sqrt(m/2) * Gamma((m-1)/2))`` with ``m = n1 + n2 - 2`` degrees of
    freedom (Hedges, 1981, *J. Educational Statistics* 6(2), eq. 6e; the function metafor's
    ``escalc(measure="SMD")`` applies).  Computed on the log scale with ``gammaln`` so that
    large ``m`` does not overflow; ``J`` tends to ``1 - 3/(4m - 1)`` and then to 1.
    """
    df = np.asarray(m, dtype=np.float64)
    log_j = gammaln(df / 2.0) - 0.5 * np.log(df / 2.0) - gammaln((df - 1.0) / 2.0)
    return np.asarray(np.exp(log_j), dtype=np.float64)


def _smd_formula(
    m1: FloatArray, sd1: FloatArray, n1: FloatArray, m2: FloatArray, sd2: FloatArray, n2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    df = n1 + n2 - 2.0
    pooled_sd = np.sqrt(((n1 - 1.0) * sd1**2 + (n2 - 1.0) * sd2**2) / df)
    yi = hedges_correction(df) * (m1 - m2) / pooled_sd
    vi = 1.0 / n1 + 1.0 / n2 + yi**2 / (2.0 * (n1 + n2))
    return yi, vi


def _zero_cell_correction(
    ai: FloatArray, bi: FloatArray, ci: FloatArray, di: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Add 0.5 to all four cells of each table with a zero cell (``to="only0"``)."""
    has_zero = (ai == 0) | (bi == 0) | (ci == 0) | (di == 0)
    add = np.where(has_zero, 0.5, 0.0)
    return ai + add, bi + add, ci + add, di + add, has_zero


def _rr_formula(
    ai: FloatArray, bi: FloatArray, ci: FloatArray, di: FloatArray
) -> tuple[FloatArray, FloatArray]:
    n1 = ai + bi
    n2 = ci + di
    yi = np.log(ai / n1) - np.log(ci / n2)
    vi = 1.0 / ai - 1.0 / n1 + 1.0 / ci - 1.0 / n2
    return yi, vi


def _or_formula(
    ai: FloatArray, bi: FloatArray, ci: FloatArray, di: FloatArray
) -> tuple[FloatArray, FloatArray]:
    yi = np.log(ai) + np.log(di) - np.log(bi) - np.log(ci)
    vi = 1.0 / ai + 1.0 / bi + 1.0 / ci + 1.0 / di
    return yi, vi


# --------------------------------------------------------------------------- validation


def _describe(value: float) -> str:
    return f"{value:g}"


def _flag(
    problems: list[InputProblem],
    mask: npt.NDArray[np.bool_],
    column: str,
    values: FloatArray,
    message: str,
) -> None:
    for index in np.flatnonzero(mask):
        problems.append(
            InputProblem(
                row=int(index) + 1,
                column=column,
                message=f"{message} (got {_describe(float(values[index]))})",
            )
        )


def _domain_problems(
    measure: Measure, values: Mapping[str, FloatArray], ok: Mapping[str, npt.NDArray[np.bool_]]
) -> list[InputProblem]:
    """Range checks on cells that are present and finite (``ok``); vectorised per column."""
    problems: list[InputProblem] = []
    if measure is Measure.GENERIC:
        vi = values["vi"]
        _flag(problems, ok["vi"] & (vi <= 0), "vi", vi, "sampling variance must be greater than 0")
    elif measure is Measure.SMD:
        for name in ("sd1", "sd2"):
            sd = values[name]
            _flag(problems, ok[name] & (sd <= 0), name, sd, "standard deviation must be > 0")
        for name in ("n1", "n2"):
            n = values[name]
            _flag(problems, ok[name] & (n < 2), name, n, "group size must be at least 2")
    else:
        for name in ("ai", "bi", "ci", "di"):
            count = values[name]
            _flag(problems, ok[name] & (count < 0), name, count, "count cannot be negative")
        for first, second, group in (("ai", "bi", "treatment"), ("ci", "di", "control")):
            both_ok = ok[first] & ok[second]
            total = values[first] + values[second]
            for index in np.flatnonzero(both_ok & (total == 0)):
                problems.append(
                    InputProblem(
                        row=int(index) + 1,
                        column=f"{first}, {second}",
                        message=f"the {group} group has no participants ({first} + {second} = 0)",
                    )
                )
    return problems


def _numeric_array(
    name: str, raw: npt.ArrayLike, problems: list[InputProblem]
) -> tuple[FloatArray, npt.NDArray[np.bool_]] | None:
    """Convert an array-like to float, reporting missing (NaN/None) and infinite cells."""
    try:
        array = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        problems.append(InputProblem(column=name, message="values must all be numbers"))
        return None
    if array.ndim != 1:
        problems.append(InputProblem(column=name, message="must be one-dimensional"))
        return None
    return array, _finite_mask(name, array, problems)


def _finite_mask(
    name: str, array: FloatArray, problems: list[InputProblem]
) -> npt.NDArray[np.bool_]:
    missing = np.isnan(array)
    infinite = np.isinf(array)
    for index in np.flatnonzero(missing):
        problems.append(InputProblem(row=int(index) + 1, column=name, message="missing value"))
    _flag(problems, infinite, name, array, "must be a finite number")
    return ~(missing | infinite)


def _sort_problems(problems: list[InputProblem], columns: Sequence[str]) -> list[InputProblem]:
    order = {name: position for position, name in enumerate(columns)}

    def key(problem: InputProblem) -> tuple[int, int, int]:
        first_column = (problem.column or "").split(",")[0]
        return (
            0 if problem.row is None else 1,
            problem.row or 0,
            order.get(first_column, len(order)),
        )

    return sorted(problems, key=key)


def _study_labels(study: Sequence[str | None] | None, k: int) -> tuple[str, ...]:
    if study is None:
        return tuple(f"Study {row}" for row in range(1, k + 1))
    labels = []
    for row, label in enumerate(study, start=1):
        text = "" if label is None else str(label).strip()
        labels.append(text or f"Study {row}")
    return tuple(labels)


def _build(
    measure: Measure,
    raw: Mapping[str, npt.ArrayLike],
    study: Sequence[str | None] | None,
    missing: Missing = "drop",
) -> EffectSizes:
    """Validate array-like columns for ``measure`` and compute the effect sizes."""
    columns = REQUIRED_COLUMNS[measure]
    problems: list[InputProblem] = []
    values: dict[str, FloatArray] = {}
    ok: dict[str, npt.NDArray[np.bool_]] = {}
    for name in columns:
        converted = _numeric_array(name, raw[name], problems)
        if converted is not None:
            values[name], ok[name] = converted
    lengths = {len(array) for array in values.values()}
    if study is not None:
        lengths.add(len(study))
    if len(lengths) > 1:
        problems.append(InputProblem(message="all columns must have the same number of rows"))
    if len(values) < len(columns) or len(lengths) > 1:
        raise MetaInputError(_sort_problems(problems, columns))
    labels = _study_labels(study, len(values[columns[0]]))
    return _finish(measure, values, ok, labels, problems, missing=missing)


def _finish(
    measure: Measure,
    values: Mapping[str, FloatArray],
    ok: Mapping[str, npt.NDArray[np.bool_]],
    study: tuple[str, ...],
    problems: list[InputProblem],
    *,
    missing: Missing = "drop",
) -> EffectSizes:
    columns = REQUIRED_COLUMNS[measure]
    if len(study) == 0:
        problems.append(
            InputProblem(message="no studies: the input has no rows (k must be at least 1)")
        )
    problems.extend(_domain_problems(measure, values, ok))
    omitted: tuple[OmittedStudy, ...] = ()
    if missing == "drop":
        problems, omitted = _omit_missing(problems, study)
        if omitted and len(omitted) == len(study):
            problems.append(InputProblem(message="no studies left: every row has a missing value"))
    if problems:
        raise MetaInputError(_sort_problems(problems, columns))
    if omitted:
        keep = np.ones(len(study), dtype=bool)
        keep[[entry.row - 1 for entry in omitted]] = False
        values = {name: array[keep] for name, array in values.items()}
        study = tuple(label for label, kept in zip(study, keep, strict=True) if kept)
        _warn(omitted)
    corrected: tuple[int, ...] = ()
    counts: dict[str, FloatArray] | None = None
    if measure is Measure.GENERIC:
        yi, vi = values["yi"], values["vi"]
    elif measure is Measure.SMD:
        yi, vi = _smd_formula(*(values[name] for name in columns))
    else:
        counts = {name: np.array(values[name], dtype=np.float64) for name in columns}
        ai, bi, ci, di, has_zero = _zero_cell_correction(*(values[name] for name in columns))
        formula = _rr_formula if measure is Measure.RR else _or_formula
        yi, vi = formula(ai, bi, ci, di)
        corrected = tuple(int(index) + 1 for index in np.flatnonzero(has_zero))
    return EffectSizes(
        measure=measure,
        study=study,
        yi=yi,
        vi=vi,
        corrected_rows=corrected,
        omitted=omitted,
        counts=counts,
    )


def _omit_missing(
    problems: list[InputProblem], study: tuple[str, ...]
) -> tuple[list[InputProblem], tuple[OmittedStudy, ...]]:
    """Split off the rows with a missing value: they are left out, so their other problems
    do not matter."""
    missing_columns: dict[int, list[str]] = {}
    for problem in problems:
        if problem.message == "missing value" and problem.row is not None:
            missing_columns.setdefault(problem.row, []).append(problem.column or "")
    kept = [problem for problem in problems if problem.row not in missing_columns]
    omitted = tuple(
        OmittedStudy(row=row, label=study[row - 1], columns=tuple(columns))
        for row, columns in sorted(missing_columns.items())
    )
    return kept, omitted


def _warn(omitted: tuple[OmittedStudy, ...]) -> None:
    import warnings

    noun = "study" if len(omitted) == 1 else "studies"
    names = "; ".join(str(entry) for entry in omitted)
    warnings.warn(
        StudiesOmittedWarning(
            f"{len(omitted)} {noun} with missing values left out: {names}",
            tuple(entry.label for entry in omitted),
        ),
        stacklevel=4,
    )


# --------------------------------------------------------------------------- public API


def hedges_g(
    *,
    m1: npt.ArrayLike,
    sd1: npt.ArrayLike,
    n1: npt.ArrayLike,
    m2: npt.ArrayLike,
    sd2: npt.ArrayLike,
    n2: npt.ArrayLike,
    study: Sequence[str | None] | None = None,
    missing: Missing = "drop",
) -> EffectSizes:
    """Hedges' *g* (treatment minus control) and its large-sample variance.

    With ``m = n1 + n2 - 2``, pooled SD ``s = sqrt(((n1-1) sd1^2 + (n2-1) sd2^2) / m)`` and
    :func:`hedges_correction` ``J(m)``::

        yi = J(m) * (m1 - m2) / s
        vi = 1/n1 + 1/n2 + yi^2 / (2 (n1 + n2))

    as metafor's ``escalc(measure="SMD")`` with its default ``vtype="LS"`` (metafor manual,
    ``escalc``, "Measures for Quantitative Variables"; Hedges & Olkin, 1985).

    Raises :class:`MetaInputError` for non-finite values, ``sd <= 0`` or ``n < 2`` (and for
    missing values with ``missing="error"``; otherwise those studies are left out).
    """
    raw = {"m1": m1, "sd1": sd1, "n1": n1, "m2": m2, "sd2": sd2, "n2": n2}
    return _build(Measure.SMD, raw, study, missing)


def log_risk_ratio(
    *,
    ai: npt.ArrayLike,
    bi: npt.ArrayLike,
    ci: npt.ArrayLike,
    di: npt.ArrayLike,
    study: Sequence[str | None] | None = None,
    missing: Missing = "drop",
) -> EffectSizes:
    """Log risk ratio of treatment versus control from 2x2 counts.

    With ``n1 = ai + bi`` and ``n2 = ci + di`` (after adding 0.5 to every cell of a table that
    has a zero cell)::

        yi = log((ai / n1) / (ci / n2))
        vi = 1/ai - 1/n1 + 1/ci - 1/n2

    as metafor's ``escalc(measure="RR")`` with its defaults ``add=1/2, to="only0"``.
    """
    return _build(Measure.RR, {"ai": ai, "bi": bi, "ci": ci, "di": di}, study, missing)


def log_odds_ratio(
    *,
    ai: npt.ArrayLike,
    bi: npt.ArrayLike,
    ci: npt.ArrayLike,
    di: npt.ArrayLike,
    study: Sequence[str | None] | None = None,
    missing: Missing = "drop",
) -> EffectSizes:
    """Log odds ratio of treatment versus control from 2x2 counts (Woolf's variance).

    After adding 0.5 to every cell of a table that has a zero cell::

        yi = log((ai * di) / (bi * ci))
        vi = 1/ai + 1/bi + 1/ci + 1/di

    as metafor's ``escalc(measure="OR")`` with its defaults ``add=1/2, to="only0"``.
    """
    return _build(Measure.OR, {"ai": ai, "bi": bi, "ci": ci, "di": di}, study, missing)


def generic(
    *,
    yi: npt.ArrayLike,
    vi: npt.ArrayLike,
    study: Sequence[str | None] | None = None,
    missing: Missing = "drop",
) -> EffectSizes:
    """Effect sizes computed elsewhere: ``yi`` with sampling variances ``vi > 0``."""
    return _build(Measure.GENERIC, {"yi": yi, "vi": vi}, study, missing)


def effect_sizes_from_frame(
    frame: pl.DataFrame, *, measure: Measure | str, missing: Missing = "drop"
) -> EffectSizes:
    """Compute effect sizes from a polars frame with the columns of :data:`REQUIRED_COLUMNS`.

    Columns may be numeric or text (as read from a CSV file without schema inference); text
    cells are trimmed, :data:`MISSING_MARKERS` count as missing and anything else that does
    not parse as a number is reported.  An optional ``study`` column gives the labels (a
    missing label becomes ``"Study <row>"``); other columns are ignored.  Column names are
    matched after trimming surrounding spaces.

    A row with a missing cell in a column it needs is left out with a warning (see the module
    docstring), unless ``missing="error"``.

    Raises :class:`MetaInputError` listing every problem (unknown measure, missing columns,
    non-numeric / non-finite cells and out-of-range values) with row and column.
    """
    import polars as pl

    try:
        chosen = Measure(str(measure).strip().upper())
    except ValueError:
        allowed = ", ".join(member.value for member in Measure)
        problem = InputProblem(message=f"unknown measure {measure!r} (expected one of {allowed})")
        raise MetaInputError([problem]) from None

    frame = frame.rename({name: name.strip().lstrip("\ufeff") for name in frame.columns})
    columns = REQUIRED_COLUMNS[chosen]
    missing_columns = [name for name in columns if name not in frame.columns]
    if missing_columns:
        raise MetaInputError(
            [
                InputProblem(column=name, message="required column is missing")
                for name in missing_columns
            ]
        )

    problems: list[InputProblem] = []
    values: dict[str, FloatArray] = {}
    ok: dict[str, npt.NDArray[np.bool_]] = {}
    for name in columns:
        values[name], ok[name] = _parse_series(frame.get_column(name), problems)

    study: Sequence[Any] | None = None
    if "study" in frame.columns:
        study = frame.get_column("study").cast(pl.String).to_list()
    labels = _study_labels(study, frame.height)
    return _finish(chosen, values, ok, labels, problems, missing=missing)


def _parse_series(
    series: pl.Series, problems: list[InputProblem]
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Parse one polars column into floats; report missing, non-numeric and infinite cells."""
    import polars as pl

    name = series.name
    if series.dtype == pl.String:
        text = series.str.strip_chars()
        missing = text.is_null() | text.str.to_lowercase().is_in(list(MISSING_MARKERS))
        parsed = text.cast(pl.Float64, strict=False)
        not_numbers = (~missing & parsed.is_null()).to_numpy()
        for index in np.flatnonzero(not_numbers):
            problems.append(
                InputProblem(
                    row=int(index) + 1, column=name, message=f"not a number: {text[int(index)]!r}"
                )
            )
        array = parsed.to_numpy().astype(np.float64)
        array[missing.to_numpy() | not_numbers] = np.nan
        # Missing cells are reported below; non-numeric ones were reported above.
        reported = not_numbers
    elif series.dtype.is_numeric():
        array = series.cast(pl.Float64).to_numpy().astype(np.float64)
        reported = np.zeros(len(array), dtype=bool)
    else:
        for row in range(1, len(series) + 1):
            problems.append(InputProblem(row=row, column=name, message="not a number"))
        return np.full(len(series), np.nan), np.zeros(len(series), dtype=bool)

    nan = np.isnan(array) & ~reported
    for index in np.flatnonzero(nan):
        problems.append(InputProblem(row=int(index) + 1, column=name, message="missing value"))
    infinite = np.isinf(array)
    _flag(problems, infinite, name, array, "must be a finite number")
    return array, ~(np.isnan(array) | infinite)
