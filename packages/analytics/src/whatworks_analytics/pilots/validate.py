"""Validate a pilot dataset folder against the contract and load it as typed polars frames.

:func:`validate_dataset` reads every table of :data:`~whatworks_analytics.pilots.schema.CONTRACT`
and reports every problem it finds at once (a :class:`ValidationReport`); :func:`load_dataset`
does the same and returns a :class:`PilotDataset` of clean, typed frames, or raises
:class:`InvalidDatasetError` carrying the report.  Nothing is written.

Every check is a vectorised polars expression or join over whole columns; Python only
formats the (capped) problems it reports.  Problems of one kind in one column of one table
are capped at ``max_per_kind`` examples, but their total is always counted.

Rows are numbered as **data rows**, starting at 1 with the first row after the header.  In a
CSV file without line breaks inside quoted values, data row *n* is on line *n + 1*.
"""

from __future__ import annotations

import enum
import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from whatworks_analytics.errors import AnalyticsInputError, AnalyticsIOError
from whatworks_analytics.pilots.schema import (
    CODES_SEPARATOR,
    CONTRACT,
    Column,
    ColumnKind,
    Contract,
    DateOrder,
    NoOverlap,
    NotAfterFlag,
    Reference,
    SameChild,
    Table,
)

ROW = "__row"
DEFAULT_MAX_PER_KIND = 20

FileFormat = Literal["csv", "parquet"]
_FORMATS: tuple[FileFormat, ...] = ("csv", "parquet")
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_MONTH_RE = r"^\d{4}-\d{2}$"
_TRUE = ("true", "1")
_FALSE = ("false", "0")
_DUPLICATED_RE = re.compile(r"^(?P<base>.*)_duplicated_\d+$")
_MAX_CODES_IN_MESSAGE = 12


class ProblemKind(enum.StrEnum):
    """What sort of problem was found; the unit of capping in a report."""

    MISSING_TABLE = "missing_table"
    AMBIGUOUS_TABLE = "ambiguous_table"
    EMPTY_FILE = "empty_file"
    NOT_UTF8 = "not_utf8"
    UNREADABLE = "unreadable"
    RAGGED_LINE = "ragged_line"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    WRONG_COLUMN_TYPE = "wrong_column_type"
    EMPTY_TABLE = "empty_table"
    MISSING_VALUE = "missing_value"
    BAD_VALUE = "bad_value"
    UNKNOWN_CODE = "unknown_code"
    DUPLICATE_ID = "duplicate_id"
    MISSING_REFERENCE = "missing_reference"
    OTHER_CHILD = "other_child"
    DATE_ORDER = "date_order"
    AFTER_NFA = "after_nfa"
    OVERLAP = "overlap"


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One problem: where it is (table, data row, column) and what is wrong.

    ``row`` is the 1-based data row (the header is not counted; data row *n* of a CSV file
    is line *n + 1*), or ``None`` for a problem with a whole table, file or column.
    ``file`` is the file name the table was read from (``None`` when there is no file).
    """

    table: str
    row: int | None
    column: str | None
    message: str
    kind: ProblemKind
    file: str | None = None

    @property
    def line(self) -> int | None:
        """The line of a CSV file the problem is on (``None`` for Parquet or no row)."""
        if self.row is None or self.file is None or not self.file.endswith(".csv"):
            return None
        return self.row + 1

    def render(self) -> str:
        """One readable line, e.g. ``referrals.csv, data row 3 (line 4), column source: ...``."""
        parts = [self.file or self.table]
        if self.row is not None:
            line = self.line
            parts.append(f"data row {self.row}" + (f" (line {line})" if line else ""))
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts) + f": {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "table": self.table,
            "file": self.file,
            "row": self.row,
            "line": self.line,
            "column": self.column,
            "kind": self.kind.value,
            "message": self.message,
        }


@dataclass(frozen=True, kw_only=True)
class ProblemCount:
    """How many problems of one kind one column (or table) has, and how many are shown."""

    table: str
    column: str | None
    kind: ProblemKind
    total: int
    shown: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "table": self.table,
            "column": self.column,
            "kind": self.kind.value,
            "total": self.total,
            "shown": self.shown,
        }


@dataclass(frozen=True, kw_only=True)
class ValidationReport:
    """The outcome of validating a folder: the problems shown and the count of every kind."""

    folder: Path
    problems: tuple[Problem, ...]
    counts: tuple[ProblemCount, ...]
    max_per_kind: int = DEFAULT_MAX_PER_KIND
    files: Mapping[str, str] = field(default_factory=dict)
    #: Per table, the columns of its file that the contract does not know: they are
    #: dropped on reading, never kept (:func:`identifying_columns` names the ones that
    #: look like personal details).
    dropped_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def dropped_lines(self) -> list[str]:
        """One line per file with dropped columns, saying they were not kept."""
        lines = []
        for table, columns in self.dropped_columns.items():
            where = self.files.get(table, table)
            text = f"{where}: {', '.join(columns)} not in the data contract, so not kept"
            personal = identifying_columns(columns)
            if personal:
                text += (
                    f"; {', '.join(personal)} look like personal details and should not be "
                    "sent at all"
                )
            lines.append(text + ".")
        return lines

    @property
    def total(self) -> int:
        """The number of problems found, including those not shown."""
        return sum(count.total for count in self.counts)

    @property
    def is_valid(self) -> bool:
        """Whether the folder satisfies the contract."""
        return self.total == 0

    @property
    def omitted(self) -> int:
        """The number of problems found but not shown because of the cap."""
        return self.total - len(self.problems)

    def render(self) -> str:
        """A readable, multi-line account of every problem (capped per kind)."""
        dropped = "".join(f"\n  Dropped: {line}" for line in self.dropped_lines())
        if self.is_valid:
            return (
                f"{self.folder}: valid pilot dataset (contract version {CONTRACT.version})."
                + dropped
            )
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"{self.folder}: {self.total:,} {noun} found."]
        if self.omitted:
            lines[0] += (
                f" At most {self.max_per_kind} of each kind per column are shown;"
                f" {self.omitted:,} more are counted below."
            )
        for problem in self.problems:
            lines.append(f"  {problem.render()}")
        for count in self.counts:
            if count.total > count.shown:
                where = count.table + (f".{count.column}" if count.column else "")
                lines.append(
                    f"  ... and {count.total - count.shown:,} more {count.kind.value} problems"
                    f" in {where} ({count.total:,} in all)"
                )
        return "\n".join(lines) + dropped

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: validity, totals, the problems shown and the counts."""
        return {
            "folder": str(self.folder),
            "valid": self.is_valid,
            "total": self.total,
            "omitted": self.omitted,
            "max_per_kind": self.max_per_kind,
            "problems": [problem.to_dict() for problem in self.problems],
            "counts": [count.to_dict() for count in self.counts],
            "dropped_columns": {t: list(c) for t, c in self.dropped_columns.items()},
        }


@dataclass(frozen=True, kw_only=True)
class PilotDataset:
    """A valid pilot dataset as typed polars frames, one per contract table.

    Every frame has exactly the contract's columns, in contract order, with the dtypes of
    :attr:`whatworks_analytics.pilots.schema.Table.schema`: identifiers ``String``, dates
    and birth months ``Date`` (a month is its first day), codes ``Enum`` of the allowed
    codes, ``factors`` a ``List`` of that ``Enum`` (empty when none), ``nfa`` ``Boolean``;
    optional dates are null when empty (ongoing).  Extra columns in the files are dropped.
    """

    children: pl.DataFrame
    referrals: pl.DataFrame
    assessments: pl.DataFrame
    s47_enquiries: pl.DataFrame
    child_protection_plans: pl.DataFrame
    looked_after_episodes: pl.DataFrame
    source: Path | None = None

    @classmethod
    def from_frames(
        cls, frames: Mapping[str, pl.DataFrame], *, source: Path | None = None
    ) -> PilotDataset:
        """A dataset of the contract tables in ``frames``, cast to the contract's dtypes."""
        typed = {
            table.name: frames[table.name].select(
                pl.col(column.name).cast(column.dtype) for column in table.columns
            )
            for table in CONTRACT.tables
        }
        return cls(
            children=typed["children"],
            referrals=typed["referrals"],
            assessments=typed["assessments"],
            s47_enquiries=typed["s47_enquiries"],
            child_protection_plans=typed["child_protection_plans"],
            looked_after_episodes=typed["looked_after_episodes"],
            source=source,
        )

    def table(self, name: str) -> pl.DataFrame:
        """The frame of the contract table ``name``."""
        if name not in CONTRACT.table_names:
            raise KeyError(f"the contract has no table {name!r}")
        frame: pl.DataFrame = getattr(self, name)
        return frame

    def tables(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """``(name, frame)`` for every table, in contract order."""
        for name in CONTRACT.table_names:
            yield name, self.table(name)

    def row_counts(self) -> dict[str, int]:
        """The number of rows of every table."""
        return {name: frame.height for name, frame in self.tables()}


class DatasetReadError(AnalyticsIOError):
    """The folder, or a file in it, cannot be read at all (missing, not a folder, no access)."""


class InvalidDatasetError(AnalyticsInputError):
    """The folder was read but does not satisfy the contract; ``report`` says why."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.problems, message=report.render())
        self.report = report


class _Collector:
    """Gathers problems, keeping at most ``cap`` examples per (table, column, kind)."""

    def __init__(self, *, cap: int) -> None:
        self.cap = cap
        self.problems: list[Problem] = []
        self.totals: dict[tuple[str, str | None, ProblemKind], list[int]] = {}
        self.files: dict[str, str] = {}
        #: Columns of each table's file that the contract does not know (dropped).
        self.dropped: dict[str, list[str]] = {}

    def _tally(self, table: str, column: str | None, kind: ProblemKind, total: int) -> int:
        """Count ``total`` more problems; return how many of them may still be shown."""
        entry = self.totals.setdefault((table, column, kind), [0, 0])
        room = max(0, self.cap - entry[1])
        shown = min(room, total)
        entry[0] += total
        entry[1] += shown
        return shown

    def add(
        self,
        *,
        table: str,
        kind: ProblemKind,
        message: str,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        """Add a single problem."""
        if self._tally(table, column, kind, 1):
            self.problems.append(
                Problem(
                    table=table,
                    row=row,
                    column=column,
                    message=message,
                    kind=kind,
                    file=self.files.get(table),
                )
            )

    def add_rows(
        self,
        *,
        table: str,
        column: str | None,
        kind: ProblemKind,
        rows: pl.DataFrame,
        message: Callable[[dict[str, Any]], str],
    ) -> None:
        """Add one problem per row of ``rows`` (which has a ``__row`` column)."""
        if rows.height == 0:
            return
        shown = self._tally(table, column, kind, rows.height)
        for record in rows.bottom_k(shown, by=ROW).sort(ROW).iter_rows(named=True):
            self.problems.append(
                Problem(
                    table=table,
                    row=int(record[ROW]),
                    column=column,
                    message=message(record),
                    kind=kind,
                    file=self.files.get(table),
                )
            )

    def report(self, folder: Path, contract: Contract) -> ValidationReport:
        order = {name: index for index, name in enumerate(contract.table_names)}
        kinds = {kind: index for index, kind in enumerate(ProblemKind)}

        def key(problem: Problem) -> tuple[int, int, int]:
            return (order.get(problem.table, -1), kinds[problem.kind], problem.row or 0)

        counts = tuple(
            ProblemCount(table=table, column=column, kind=kind, total=total, shown=shown)
            for (table, column, kind), (total, shown) in sorted(
                self.totals.items(),
                key=lambda item: (order.get(item[0][0], -1), kinds[item[0][2]], item[0][1] or ""),
            )
        )
        return ValidationReport(
            folder=folder,
            problems=tuple(sorted(self.problems, key=key)),
            counts=counts,
            max_per_kind=self.cap,
            files=dict(self.files),
            dropped_columns={t: tuple(c) for t, c in self.dropped.items() if c},
        )


@dataclass(frozen=True, kw_only=True)
class _Typed:
    """A table after parsing: ``__row`` plus the contract columns present, typed."""

    table: Table
    frame: pl.DataFrame

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    @functools.cached_property
    def first_rows(self) -> pl.DataFrame:
        """The rows holding the first occurrence of each non-empty key."""
        key = pl.col(self.table.key)
        return self.frame.filter(key.is_not_null() & key.is_first_distinct())


def _code_list(allowed: tuple[str, ...]) -> str:
    if len(allowed) > _MAX_CODES_IN_MESSAGE:
        return "see the data contract for the allowed codes"
    return "allowed: " + ", ".join(allowed)


def _check_folder(folder: Path) -> list[str]:
    if not folder.exists():
        raise DatasetReadError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise DatasetReadError(f"{folder}: not a folder")
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        raise DatasetReadError(f"{folder}: cannot list the folder ({exc.strerror})") from exc


def _first_invalid_utf8(path: Path) -> tuple[int, int, int] | None:
    """``(line, byte offset, byte value)`` of the first byte that is not valid UTF-8."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data.count(b"\n", 0, exc.start) + 1, exc.start, data[exc.start]
    return None


def _ragged_rows(path: Path, *, encoding: str, fields: int, rows: int) -> pl.DataFrame | None:
    """Data rows whose line has a different number of fields from the header.

    Fields are counted per physical line after removing quoted sections; when the number of
    lines differs from the number of records (line breaks inside quotes) nothing is
    reported, as lines cannot then be matched to records.
    """
    try:
        lines = pl.read_csv(
            path,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            infer_schema=False,
            encoding=encoding,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError:
        return None
    if lines.height - 1 != rows:
        return None
    line = pl.col(lines.columns[0]).str.strip_chars_end("\r")
    unquoted = (
        pl.when(line.str.contains('"', literal=True))
        .then(line.str.replace_all(r'"[^"]*"', ""))
        .otherwise(line)
    )
    counted = (
        pl.when(line.is_null() | (line == ""))
        .then(0)
        .otherwise(unquoted.str.count_matches(",", literal=True) + 1)
    )
    return (
        lines.select(counted.alias("fields"))
        .with_row_index(ROW)
        .slice(1)
        .filter(pl.col("fields") != fields)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )


def _read_csv(path: Path, table: Table, out: _Collector) -> tuple[pl.DataFrame, pl.Series] | None:
    """The raw text frame of a CSV file (with ``__row``) and a mask of ragged rows."""
    encoding = "utf8"
    try:
        frame = pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True)
    except pl.exceptions.NoDataError:
        out.add(
            table=table.name, kind=ProblemKind.EMPTY_FILE, message="the file has no header line"
        )
        return None
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc).lower():
            out.add(
                table=table.name,
                kind=ProblemKind.UNREADABLE,
                message=f"cannot be read as CSV: {str(exc).splitlines()[0]}",
            )
            return None
        where = _first_invalid_utf8(path)
        line, offset, value = where if where else (1, 0, 0)
        out.add(
            table=table.name,
            kind=ProblemKind.NOT_UTF8,
            row=line - 1 if line > 1 else None,
            message=(
                f"the file is not UTF-8: invalid byte 0x{value:02x} at byte offset {offset}"
                + ("" if line > 1 else " (in the header)")
                + "; save it as UTF-8 (invalid bytes show as \ufffd in other problems)"
            ),
        )
        encoding = "utf8-lossy"
        try:
            frame = pl.read_csv(
                path, infer_schema=False, truncate_ragged_lines=True, encoding="utf8-lossy"
            )
        except pl.exceptions.PolarsError as again:
            out.add(
                table=table.name,
                kind=ProblemKind.UNREADABLE,
                message=f"cannot be read as CSV: {str(again).splitlines()[0]}",
            )
            return None
    header_fields = frame.width
    frame = frame.drop(ROW, strict=False)  # a column of that name is not in the contract
    ragged = _ragged_rows(path, encoding=encoding, fields=header_fields, rows=frame.height)
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    if ragged is None or ragged.height == 0:
        return frame, pl.repeat(False, frame.height, eager=True)
    out.add_rows(
        table=table.name,
        column=None,
        kind=ProblemKind.RAGGED_LINE,
        rows=ragged,
        message=lambda r: (
            "blank line"
            if r["fields"] == 0
            else f"the line has {r['fields']} fields but the header has {header_fields}"
        ),
    )
    return frame, frame.select(pl.col(ROW).is_in(ragged[ROW].implode())).to_series()


def _read_parquet(path: Path, table: Table, out: _Collector) -> pl.DataFrame | None:
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        out.add(
            table=table.name,
            kind=ProblemKind.UNREADABLE,
            message=f"cannot be read as Parquet: {message}",
        )
        return None
    frame = frame.drop(ROW, strict=False)
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


#: Parts of column names that suggest a person's details: names, NHS or national
#: insurance numbers, addresses, postcodes, dates of birth, contact details.
_PERSONAL = re.compile(
    r"(^|_)(full_?name|first_?name|last_?name|surname|forename|given_?name|name|nhs"
    r"(_?(number|no|num))?|nino|national_insurance|ni_?number|upn|uln|address|street|"
    r"post_?code|zip|dob|date_of_birth|birth_?date|phone|telephone|mobile|e_?mail)($|_)",
    re.IGNORECASE,
)


def identifying_columns(columns: Sequence[str]) -> list[str]:
    """The columns whose names look like personal details (``full_name``, ``nhs_number``,
    ``postcode``...): a pilot needs none of them, and they should not leave the authority.
    ``birth_month`` and the contract's own columns are not among them."""
    known = {c.name for t in CONTRACT.tables for c in t.columns}
    out = []
    for name in columns:
        key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower())
        if key not in known and _PERSONAL.search(key):
            out.append(name)
    return out


def _normalise_header(frame: pl.DataFrame, table: Table, out: _Collector) -> pl.DataFrame:
    """Keep the contract's columns (first occurrence), reporting duplicates and absences."""
    keep: dict[str, str] = {}
    duplicates: set[str] = set()
    for name in frame.columns:
        if name == ROW:
            continue
        match = _DUPLICATED_RE.match(name)
        clean = name.strip()
        if match and match.group("base") in frame.columns:
            clean = match.group("base").strip()
            duplicates.add(clean)
            continue
        if clean in keep:
            duplicates.add(clean)
            continue
        keep[clean] = name
    for name in sorted(duplicates):
        if name in table.column_names:
            out.add(
                table=table.name,
                column=name,
                kind=ProblemKind.DUPLICATE_COLUMN,
                message="the column appears more than once in the header; the first is used",
            )
    unknown = [name for name in keep if name not in table.column_names]
    if unknown:
        out.dropped.setdefault(table.name, []).extend(unknown)
    for column in table.columns:
        if column.name not in keep:
            out.add(
                table=table.name,
                column=column.name,
                kind=ProblemKind.MISSING_COLUMN,
                message="required column is missing from the header",
            )
    present = [c.name for c in table.columns if c.name in keep]
    return frame.select(pl.col(ROW), *(pl.col(keep[name]).alias(name) for name in present))


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr | None:
    """The column as stripped text with empty values as null; ``None`` if it cannot be."""
    expr = pl.col(name)
    if isinstance(dtype, pl.List):
        expr = expr.cast(pl.List(pl.String)).list.join(CODES_SEPARATOR)
    elif isinstance(dtype, (pl.Struct, pl.Array, pl.Object, pl.Binary)):
        return None
    elif dtype != pl.String:
        expr = expr.cast(pl.String)
    expr = expr.str.strip_chars()
    return pl.when(expr == "").then(None).otherwise(expr)


def _parse(column: Column, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """Expressions ``(parsed, missing, bad)`` for a column of the given file dtype."""
    name = column.name
    raw = pl.col(name)
    false = pl.lit(False)
    if column.kind in (ColumnKind.DATE, ColumnKind.MONTH) and (
        dtype == pl.Date or isinstance(dtype, pl.Datetime)
    ):
        parsed = raw if dtype == pl.Date else raw.dt.date()
        if column.kind is ColumnKind.MONTH:
            parsed = parsed.dt.month_start()
        return parsed, raw.is_null(), false
    if column.kind is ColumnKind.BOOL and dtype == pl.Boolean:
        return raw, raw.is_null(), false
    text = _as_text(name, dtype)
    if text is None:
        return None
    missing = text.is_null()
    if column.kind is ColumnKind.ID:
        return text, missing, false
    if column.kind is ColumnKind.DATE:
        parsed = pl.when(text.str.contains(_DATE_RE)).then(
            text.str.to_date("%Y-%m-%d", strict=False)
        )
    elif column.kind is ColumnKind.MONTH:
        parsed = pl.when(text.str.contains(_MONTH_RE)).then(
            (text + "-01").str.to_date("%Y-%m-%d", strict=False)
        )
    elif column.kind is ColumnKind.BOOL:
        lower = text.str.to_lowercase()
        parsed = pl.when(lower.is_in(_TRUE)).then(True).when(lower.is_in(_FALSE)).then(False)
    elif column.kind is ColumnKind.CODE:
        known = text.is_in(column.allowed)
        parsed = pl.when(known).then(text).cast(column.dtype)
        return parsed, missing, missing.not_() & known.not_()
    else:
        # Codes contain no spaces or separators, so one regex decides validity; the list is
        # then split from the cell with all spaces and empty items removed.
        known = text.str.contains(_codes_pattern(column.allowed)).fill_null(True)
        clean = (
            text.str.replace_all(r"\s+", "")
            .str.replace_all(f"{re.escape(CODES_SEPARATOR)}+", CODES_SEPARATOR)
            .str.strip_chars(CODES_SEPARATOR)
        )
        items = pl.when(known & (clean != "")).then(clean.str.split(CODES_SEPARATOR))
        empty = pl.lit([], dtype=column.dtype)
        parsed = pl.when(known).then(items.cast(column.dtype).fill_null(empty))
        return parsed, missing, known.not_()
    return parsed, missing, missing.not_() & parsed.is_null()


def _codes_pattern(allowed: tuple[str, ...]) -> str:
    """A regex matching a cell of zero or more allowed codes separated by the separator."""
    code = "(?:" + "|".join(re.escape(c) for c in allowed) + ")"
    sep = re.escape(CODES_SEPARATOR)
    return rf"^\s*{code}?\s*(?:{sep}\s*{code}?\s*)*$"


def _bad_message(column: Column) -> Callable[[dict[str, Any]], str]:
    def message(record: dict[str, Any]) -> str:
        value = record[column.name]
        if column.kind is ColumnKind.DATE:
            return f"not a date in the form YYYY-MM-DD: {value!r}"
        if column.kind is ColumnKind.MONTH:
            return f"not a month in the form YYYY-MM: {value!r}"
        if column.kind is ColumnKind.BOOL:
            return f"not true or false: {value!r}"
        if column.kind is ColumnKind.CODE:
            return f"unknown code {value!r} ({_code_list(column.allowed)})"
        items = [item.strip() for item in str(value).split(CODES_SEPARATOR)]
        unknown = [item for item in items if item and item not in column.allowed]
        noun = "code" if len(unknown) == 1 else "codes"
        shown = ", ".join(repr(item) for item in unknown)
        return f"unknown {noun} {shown} in {value!r} ({_code_list(column.allowed)})"

    return message


def _type_table(
    frame: pl.DataFrame, skip: pl.Series | None, table: Table, out: _Collector
) -> _Typed:
    """Parse every present column, reporting missing, malformed and unknown values."""
    parsers: dict[str, tuple[pl.Expr, pl.Expr, pl.Expr]] = {}
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        dtype = frame.schema[column.name]
        parsed = _parse(column, dtype)
        if parsed is None:
            out.add(
                table=table.name,
                column=column.name,
                kind=ProblemKind.WRONG_COLUMN_TYPE,
                message=f"the column has type {dtype}, expected {column.kind.value}",
            )
            continue
        parsers[column.name] = parsed
    # One lazy select so that the shared text expressions are evaluated once per column.
    result = (
        frame.lazy()
        .select(
            pl.col(ROW),
            *(p[0].alias(name) for name, p in parsers.items()),
            *(p[1].alias(f"{name}__missing") for name, p in parsers.items()),
            *(p[2].alias(f"{name}__bad") for name, p in parsers.items()),
        )
        .collect()
    )
    flags = result
    keep = pl.repeat(True, frame.height, eager=True) if skip is None else skip.not_()
    for name in parsers:
        column = table.column(name)
        if column.required:
            mask = flags[f"{name}__missing"] & keep
            out.add_rows(
                table=table.name,
                column=name,
                kind=ProblemKind.MISSING_VALUE,
                rows=frame.filter(mask).select(ROW),
                message=lambda _r: "missing value (the column is required)",
            )
        mask = flags[f"{name}__bad"] & keep
        if mask.any():
            kind = (
                ProblemKind.UNKNOWN_CODE
                if column.kind in (ColumnKind.CODE, ColumnKind.CODES)
                else ProblemKind.BAD_VALUE
            )
            rows = frame.filter(mask).select(ROW, pl.col(name).cast(pl.String, strict=False))
            out.add_rows(
                table=table.name, column=name, kind=kind, rows=rows, message=_bad_message(column)
            )
    typed = result.select(ROW, *parsers)
    if frame.height == 0 and not table.may_be_empty:
        out.add(
            table=table.name,
            kind=ProblemKind.EMPTY_TABLE,
            message="the table has a header but no rows",
        )
    return _Typed(table=table, frame=typed)


def _check_keys(typed: _Typed, out: _Collector) -> None:
    key = typed.table.key
    if not typed.has(key):
        return
    later = typed.frame.select(ROW, key).filter(
        pl.col(key).is_not_null() & pl.col(key).is_first_distinct().not_()
    )
    if later.height == 0:
        return
    rows = later.join(typed.first_rows.select(key, pl.col(ROW).alias("first")), on=key, how="left")
    out.add_rows(
        table=typed.table.name,
        column=key,
        kind=ProblemKind.DUPLICATE_ID,
        rows=rows,
        message=lambda r: f"duplicate {key} {r[key]!r} (first at data row {r['first']})",
    )


def _parent_keys(parent: _Typed, *columns: str) -> pl.DataFrame:
    """The parent's key (first occurrence of each) with ``columns``, renamed ``parent_*``."""
    key = parent.table.key
    return parent.first_rows.select(
        key, *(pl.col(c).alias(f"parent_{c}") for c in columns if c != key)
    )


def _check_reference(ref: Reference, typed: dict[str, _Typed], out: _Collector) -> None:
    child, parent = typed.get(ref.table), typed.get(ref.target)
    if child is None or parent is None:
        return
    if not (child.has(ref.column) and parent.has(parent.table.key)):
        return
    rows = (
        child.frame.select(ROW, ref.column)
        .filter(pl.col(ref.column).is_not_null())
        .join(_parent_keys(parent), left_on=ref.column, right_on=parent.table.key, how="anti")
    )

    def message(r: dict[str, Any]) -> str:
        return f"{ref.column} {r[ref.column]!r} is not in {ref.target}"

    out.add_rows(
        table=ref.table,
        column=ref.column,
        kind=ProblemKind.MISSING_REFERENCE,
        rows=rows,
        message=message,
    )


def _check_same_child(rule: SameChild, typed: dict[str, _Typed], out: _Collector) -> None:
    child, parent = typed.get(rule.table), typed.get(rule.target)
    if child is None or parent is None:
        return
    if not (child.has("child_id") and child.has(rule.via) and parent.has("child_id")):
        return
    if not parent.has(parent.table.key):
        return
    rows = (
        child.frame.select(ROW, "child_id", rule.via)
        .join(
            _parent_keys(parent, "child_id"),
            left_on=rule.via,
            right_on=parent.table.key,
            how="inner",
        )
        .filter(pl.col("child_id") != pl.col("parent_child_id"))
    )

    def message(r: dict[str, Any]) -> str:
        return (
            f"{rule.via} {r[rule.via]!r} belongs to child {r['parent_child_id']!r}, "
            f"not {r['child_id']!r}"
        )

    out.add_rows(
        table=rule.table,
        column="child_id",
        kind=ProblemKind.OTHER_CHILD,
        rows=rows,
        message=message,
    )


def _check_not_after_flag(rule: NotAfterFlag, typed: dict[str, _Typed], out: _Collector) -> None:
    child, parent = typed.get(rule.table), typed.get(rule.target)
    if child is None or parent is None:
        return
    if not (child.has(rule.via) and parent.has(parent.table.key) and parent.has(rule.flag)):
        return
    rows = (
        child.frame.select(ROW, rule.via)
        .join(
            _parent_keys(parent, rule.flag),
            left_on=rule.via,
            right_on=parent.table.key,
            how="inner",
        )
        .filter(pl.col(f"parent_{rule.flag}").fill_null(False))
    )

    def message(r: dict[str, Any]) -> str:
        return (
            f"{rule.target} {r[rule.via]!r} has {rule.flag} true ({rule.meaning}): set "
            f"{rule.flag} to false there, or leave this row out"
        )

    out.add_rows(
        table=rule.table, column=rule.via, kind=ProblemKind.AFTER_NFA, rows=rows, message=message
    )


def _check_no_overlap(rule: NoOverlap, typed: dict[str, _Typed], out: _Collector) -> None:
    table = typed.get(rule.table)
    if table is None or not all(table.has(c) for c in ("child_id", "start_date", "end_date")):
        return
    rows = (
        table.frame.select(ROW, "child_id", "start_date", "end_date")
        .filter(pl.col("child_id").is_not_null() & pl.col("start_date").is_not_null())
        .sort("child_id", "start_date", ROW)
        .with_columns(
            pl.col("start_date").shift(1).over("child_id").alias("previous_start"),
            pl.col("end_date").shift(1).over("child_id").alias("previous_end"),
            pl.col(ROW).shift(1).over("child_id").alias("previous_row"),
        )
        .filter(
            pl.col("previous_start").is_not_null()
            & (pl.col("previous_end").is_null() | (pl.col("start_date") < pl.col("previous_end")))
        )
    )

    def message(r: dict[str, Any]) -> str:
        ends = (
            "is still open"
            if r["previous_end"] is None
            else f"ends {_format_date(r['previous_end'], ColumnKind.DATE)}"
        )
        return (
            f"starts {_format_date(r['start_date'], ColumnKind.DATE)} while row "
            f"{r['previous_row']} of child {r['child_id']!r} {ends} ({rule.meaning})"
        )

    out.add_rows(
        table=rule.table, column="start_date", kind=ProblemKind.OVERLAP, rows=rows, message=message
    )


def _format_date(value: Any, kind: ColumnKind) -> str:
    if kind is ColumnKind.MONTH:
        return f"{value:%Y-%m}"
    return f"{value:%Y-%m-%d}"


def _check_date_order(rule: DateOrder, typed: dict[str, _Typed], out: _Collector) -> None:
    later, earlier = typed.get(rule.table), typed.get(rule.earlier_table)
    if later is None or earlier is None:
        return
    if not (later.has(rule.column) and earlier.has(rule.earlier_column)):
        return
    earlier_kind = earlier.table.column(rule.earlier_column).kind
    if rule.via is None:
        rows = later.frame.select(
            ROW, pl.col(rule.column).alias("later"), pl.col(rule.earlier_column).alias("earlier")
        )
    else:
        if not (later.has(rule.via) and earlier.has(earlier.table.key)):
            return
        rows = later.frame.select(ROW, pl.col(rule.column).alias("later"), rule.via).join(
            _parent_keys(earlier, rule.earlier_column).rename(
                {f"parent_{rule.earlier_column}": "earlier"}
            ),
            left_on=rule.via,
            right_on=earlier.table.key,
            how="inner",
        )
    rows = rows.filter(pl.col("later") < pl.col("earlier") - pl.duration(days=rule.allowance_days))
    before = (
        "is before"
        if not rule.allowance_days
        else (f"is more than {rule.allowance_days} days before")
    )

    def message(r: dict[str, Any]) -> str:
        text = (
            f"{rule.column} {_format_date(r['later'], ColumnKind.DATE)} {before} "
            f"{rule.earlier_column} {_format_date(r['earlier'], earlier_kind)}"
        )
        if rule.via is not None:
            text += f" of {rule.earlier_table} {r[rule.via]!r}"
        return text

    out.add_rows(
        table=rule.table,
        column=rule.column,
        kind=ProblemKind.DATE_ORDER,
        rows=rows,
        message=message,
    )


def _read_table(
    folder: Path, names: list[str], table: Table, out: _Collector
) -> tuple[pl.DataFrame, pl.Series | None] | None:
    candidates = [f"{table.name}.{fmt}" for fmt in _FORMATS if f"{table.name}.{fmt}" in names]
    if not candidates:
        out.add(
            table=table.name,
            kind=ProblemKind.MISSING_TABLE,
            message=f"missing table: expected {table.name}.csv or {table.name}.parquet",
        )
        return None
    if len(candidates) > 1:
        out.add(
            table=table.name,
            kind=ProblemKind.AMBIGUOUS_TABLE,
            message=f"both {' and '.join(candidates)} exist; keep only one",
        )
        return None
    path = folder / candidates[0]
    out.files[table.name] = candidates[0]
    try:
        with path.open("rb") as handle:
            empty = not handle.read(1)
    except OSError as exc:
        raise DatasetReadError(f"{path}: cannot read the file ({exc.strerror})") from exc
    if empty:
        out.add(
            table=table.name, kind=ProblemKind.EMPTY_FILE, message="the file is empty (0 bytes)"
        )
        return None
    if path.suffix == ".csv":
        read = _read_csv(path, table, out)
        if read is None:
            return None
        frame, skip = read
        return _normalise_header(frame, table, out), skip
    frame_pq = _read_parquet(path, table, out)
    if frame_pq is None:
        return None
    return _normalise_header(frame_pq, table, out), None


def _typed_tables(
    folder: Path, contract: Contract, max_per_kind: int
) -> tuple[ValidationReport, dict[str, _Typed]]:
    names = _check_folder(folder)
    out = _Collector(cap=max_per_kind)
    typed: dict[str, _Typed] = {}
    for table in contract.tables:
        read = _read_table(folder, names, table, out)
        if read is None:
            continue
        frame, skip = read
        typed[table.name] = _type_table(frame, skip, table, out)
        _check_keys(typed[table.name], out)
    for ref in contract.references:
        _check_reference(ref, typed, out)
    for same in contract.same_child:
        _check_same_child(same, typed, out)
    for order in contract.date_orders:
        _check_date_order(order, typed, out)
    for flag in contract.not_after_flags:
        _check_not_after_flag(flag, typed, out)
    for overlap in contract.no_overlaps:
        _check_no_overlap(overlap, typed, out)
    return out.report(folder, contract), typed


def read_dataset(
    folder: str | os.PathLike[str], *, max_per_kind: int = DEFAULT_MAX_PER_KIND
) -> tuple[ValidationReport, PilotDataset | None]:
    """Validate ``folder`` and, when it is valid, load it.

    Returns the report and the dataset (``None`` when the report has problems).  Raises
    :class:`DatasetReadError` when the folder or one of its files cannot be read at all.
    """
    path = Path(folder)
    report, typed = _typed_tables(path, CONTRACT, max_per_kind)
    if not report.is_valid:
        return report, None
    frames = {name: table.frame for name, table in typed.items()}
    return report, PilotDataset.from_frames(frames, source=path)


def validate_dataset(
    folder: str | os.PathLike[str], *, max_per_kind: int = DEFAULT_MAX_PER_KIND
) -> ValidationReport:
    """Check every table of ``folder`` against the contract; report every problem at once.

    Raises :class:`DatasetReadError` when the folder or one of its files cannot be read.
    """
    report, _ = _typed_tables(Path(folder), CONTRACT, max_per_kind)
    return report


def load_dataset(
    folder: str | os.PathLike[str], *, max_per_kind: int = DEFAULT_MAX_PER_KIND
) -> PilotDataset:
    """Validate ``folder`` and return it as typed frames.

    Raises :class:`InvalidDatasetError` (with the report) when there is any problem, and
    :class:`DatasetReadError` when the folder or a file cannot be read at all.
    """
    report, dataset = read_dataset(folder, max_per_kind=max_per_kind)
    if dataset is None:
        raise InvalidDatasetError(report)
    return dataset
