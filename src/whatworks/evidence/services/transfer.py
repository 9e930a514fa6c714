"""Import and export of interventions, studies and findings as CSV or JSON.

Rows are keyed by stable ids (``id``; studies name their ``intervention_id``, findings
their ``study_id``): importing a row whose id exists updates it, otherwise creates it.
Optional columns may be left out (a file made before a column was added stays valid): a
new object gets the default, an existing one keeps its value.  Studies' optional
``registry_ref`` is the identifier of the project in our research registry (WWC-YYYY-NNNN).
Interventions' ``age_groups``, ``need_levels`` and ``settings`` take several codes, separated
by semicolons in CSV (``0-4;5-11``) and as a list in JSON; a file with the single
``age_group`` and ``need_level`` columns of earlier exports is read as the same.
An import first validates every row and reports every problem with its row (CSV: the
spreadsheet row, the header being row 1; JSON: the item's position from 1) and column; only
a file without problems is written, in one transaction, with an audit entry per object.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import TextChoices

from whatworks.core.audit_actions import AuditAction
from whatworks.core.csvutils import csv_unsafe, write_csv
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.evidence import analytics
from whatworks.evidence.errors import ImportInvalid
from whatworks.evidence.models import (
    REGISTRY_REF_MESSAGE,
    REGISTRY_REF_PATTERN,
    AgeGroup,
    Availability,
    CostBand,
    EffectMeasure,
    Finding,
    Intervention,
    NeedLevel,
    OutcomeDomain,
    RiskOfBias,
    Setting,
    Study,
    StudyDesign,
)
from whatworks.evidence.services.store import search_index_refresh, synthesis_refresh

KINDS = ("interventions", "studies", "findings")
FORMATS = ("csv", "json")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, choice, choices, int, float, bool, date, id, ref, registry
    required: bool = True
    choices: type[TextChoices] | None = None
    max_length: int | None = None
    attr: str | None = None  # model attribute, when it differs from ``name``
    #: Earlier names of the column, still read (not written).
    aliases: tuple[str, ...] = ()


def _text(name: str, max_length: int, *, required: bool = True) -> Column:
    return Column(name, "text", required, max_length=max_length)


COLUMNS: dict[str, tuple[Column, ...]] = {
    "interventions": (
        Column("id", "id", attr="slug"),
        _text("name", 200),
        _text("summary", 2000),
        Column("age_groups", "choices", choices=AgeGroup, aliases=("age_group",)),
        Column("need_levels", "choices", choices=NeedLevel, aliases=("need_level",)),
        Column("settings", "choices", False, choices=Setting),
        _text("setting", 300),
        _text("delivery", 1000),
        _text("workforce", 1000),
        _text("training", 1000, required=False),
        _text("fidelity", 1000, required=False),
        _text("provider", 300, required=False),
        _text("licensing", 1000, required=False),
        _text("website", 500, required=False),
        _text("availability_england", 1000, required=False),
        Column("cost_band", "choice", choices=CostBand),
        Column("availability", "choice", choices=Availability),
        Column("status", "choice", False, choices=Intervention.Status),
        Column("last_reviewed", "date", False),
        Column("is_demo", "bool", False),
    ),
    "studies": (
        Column("id", "id", attr="slug"),
        Column("intervention_id", "ref", attr="intervention"),
        _text("citation", 500),
        Column("year", "int"),
        Column("design", "choice", choices=StudyDesign),
        _text("country", 80),
        Column("sample_size", "int"),
        Column("risk_of_bias", "choice", choices=RiskOfBias),
        Column("registry_ref", "registry", False),
        _text("doi", 200, required=False),
        _text("url", 500, required=False),
        Column("is_demo", "bool", False),
    ),
    "findings": (
        Column("id", "id", attr="slug"),
        Column("study_id", "ref", attr="study"),
        Column("domain", "choice", choices=OutcomeDomain),
        _text("outcome_measure", 200),
        _text("time_point", 80),
        Column("measure_type", "choice", choices=EffectMeasure),
        Column("n_treatment", "int"),
        Column("n_control", "int"),
        Column("mean_treatment", "float", False),
        Column("sd_treatment", "float", False),
        Column("mean_control", "float", False),
        Column("sd_control", "float", False),
        Column("events_treatment", "int", False),
        Column("events_control", "int", False),
        Column("higher_is_better", "bool", False),
        Column("prespecified", "bool", False),
        Column("effect_size", "float", False),
        Column("se", "float", False),
    ),
}
#: Columns that exports add and imports accept but ignore (they are computed).
COMPUTED_COLUMNS = {"findings": ("ci_low", "ci_high")}
MODELS: dict[str, type[models.Model]] = {
    "interventions": Intervention,
    "studies": Study,
    "findings": Finding,
}
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


@dataclass(frozen=True)
class ImportProblem:
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"row {self.row}" if self.row is not None else "",
                f"column {self.column}" if self.column else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class ImportReport:
    kind: str
    created: int
    updated: int


# --- reading ------------------------------------------------------------------------------


def read_rows(*, data: bytes, fmt: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (row number, column -> text), or :class:`ImportInvalid`."""
    if fmt not in FORMATS:
        raise ImportInvalid([ImportProblem(None, None, "Choose CSV or JSON.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportInvalid(
            [ImportProblem(None, None, "The file is not UTF-8 text: save it as UTF-8.")]
        ) from None
    if not text.strip():
        raise ImportInvalid([ImportProblem(None, None, "The file is empty.")])
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        header = [name.strip() for name in reader.fieldnames or []]
        rows = []
        for index, raw in enumerate(reader, start=2):
            if None in raw:
                raise ImportInvalid(
                    [ImportProblem(index, None, "This row has more cells than the header.")]
                )
            rows.append((index, {k.strip(): (v or "").strip() for k, v in raw.items() if k}))
        return [(0, dict.fromkeys(header, "")), *rows]  # the header, for column checks
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportInvalid(
            [
                ImportProblem(
                    None, None, f"The file is not valid JSON ({exc.msg}, line {exc.lineno})."
                )
            ]
        ) from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ImportInvalid([ImportProblem(None, None, "The JSON must be a list of objects.")])
    keys: dict[str, str] = {}
    for item in items:
        keys.update(dict.fromkeys(item, ""))
    return [(0, keys)] + [
        (n, {k: _json_text(v) for k, v in item.items()}) for n, item in enumerate(items, 1)
    ]


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value).strip()


# --- validating ---------------------------------------------------------------------------


def _parse(column: Column, raw: str, problems: list[ImportProblem], row: int) -> Any:
    def problem(message: str) -> None:
        problems.append(ImportProblem(row, column.name, message))

    raw = csv_unsafe(raw)  # written by our safe CSV export
    if raw == "":
        if column.required:
            problem("A value is required.")
        return {"bool": None, "text": "", "registry": "", "choices": []}.get(column.kind)
    if column.kind == "text":
        if column.max_length and len(raw) > column.max_length:
            problem(f"At most {column.max_length} characters (this has {len(raw)}).")
        return raw
    if column.kind == "choice":
        assert column.choices is not None
        if raw not in column.choices.values:
            problem(f"{raw!r} is not one of: {', '.join(column.choices.values)}.")
        return raw
    if column.kind == "choices":
        assert column.choices is not None
        codes = _codes(raw)
        unknown = [code for code in codes or () if code not in column.choices.values]
        if codes is None or unknown:
            shown = ", ".join(repr(code) for code in unknown) if unknown else repr(raw)
            problem(
                f"{shown} is not one of: {', '.join(column.choices.values)} "
                "(several separated by semicolons)."
            )
            return []
        return codes
    if column.kind == "int":
        try:
            value = int(raw)
        except ValueError:
            problem(f"{raw!r} is not a whole number.")
            return None
        if value < 0:
            problem("Must not be negative.")
        return value
    if column.kind == "float":
        try:
            number = float(raw)
        except ValueError:
            problem(f"{raw!r} is not a number.")
            return None
        if number != number or number in (float("inf"), float("-inf")):
            problem("Must be a finite number.")
        return number
    if column.kind == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        problem(f"{raw!r} is not true or false.")
        return None
    if column.kind == "date":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            problem(f"{raw!r} is not a date as YYYY-MM-DD.")
            return None
    if column.kind == "registry":
        if not re.match(REGISTRY_REF_PATTERN, raw):
            problem(f"{raw!r}: {REGISTRY_REF_MESSAGE}")
        return raw
    # id and ref: stable ids
    if not all(c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in raw):
        problem("Use only lower-case letters, digits and hyphens.")
    elif len(raw) > 80:
        problem("At most 80 characters.")
    return raw


def _codes(raw: str) -> list[str] | None:
    """Several codes: a JSON list (as JSON files give them) or text separated by semicolons
    (or commas); None when a JSON list is not a list of texts."""
    if raw.startswith("["):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError:
            return None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return None
        return [i.strip() for i in items if i.strip()]
    return [code.strip() for code in re.split(r"[;,]", raw) if code.strip()]


def _references(kind: str) -> tuple[Callable[[set[str]], dict[str, models.Model]], str]:
    if kind == "studies":
        return (lambda ids: {i.slug: i for i in Intervention.objects.filter(slug__in=ids)}), (
            "No intervention has this id."
        )
    return (lambda ids: {s.slug: s for s in Study.objects.filter(slug__in=ids)}), (
        "No study has this id."
    )


def validate(*, kind: str, rows: list[tuple[int, dict[str, str]]]) -> list[models.Model]:
    """Every row as an unsaved (or changed) model instance, or :class:`ImportInvalid`."""
    if kind not in KINDS:
        raise ImportInvalid([ImportProblem(None, None, "Choose what the file holds.")])
    columns = COLUMNS[kind]
    known = {c.name for c in columns} | set(COMPUTED_COLUMNS.get(kind, ()))
    header_row = 1 if rows and rows[0][0] == 0 else None
    header, body = rows[0][1], rows[1:]
    used: dict[str, str] = {}  # column -> the earlier name the file gave it
    for column in columns:
        for alias in column.aliases:
            if alias in header and column.name not in header:
                used[column.name] = alias
                header = {(column.name if k == alias else k): v for k, v in header.items()}
                body = [
                    (n, {(column.name if k == alias else k): v for k, v in raw.items()})
                    for n, raw in body
                ]
    problems: list[ImportProblem] = []
    for name in sorted(set(header) - known):
        problems.append(ImportProblem(header_row, name, "Unknown column."))
    for column in columns:
        if column.required and column.name not in header:
            problems.append(ImportProblem(header_row, column.name, "This column is missing."))
    if problems:
        raise ImportInvalid(problems)
    if not body:
        raise ImportInvalid([ImportProblem(None, None, "The file has no rows.")])
    if len(body) > MAX_ROWS:
        raise ImportInvalid([ImportProblem(None, None, f"At most {MAX_ROWS} rows per file.")])

    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for row, raw in body:
        values = {c.name: _parse(c, raw.get(c.name, ""), problems, row) for c in columns}
        if values["id"] in seen:
            problems.append(
                ImportProblem(row, "id", f"The same id is on row {seen[values['id']]}.")
            )
        seen.setdefault(values["id"], row)
        parsed.append((row, values))

    model: Any = MODELS[kind]
    existing: dict[str, Any] = {o.slug: o for o in model._default_manager.filter(slug__in=seen)}
    ref_column = next((c for c in columns if c.kind == "ref"), None)
    targets: dict[str, models.Model] = {}
    if ref_column is not None:
        lookup, missing_message = _references(kind)
        targets = lookup({v[ref_column.name] for _row, v in parsed if v[ref_column.name]})
    objects: list[tuple[int, models.Model]] = []
    for row, values in parsed:
        obj = existing.get(values["id"]) or model()
        for column in columns:
            if column.name not in header and obj.pk is not None:
                continue  # an optional column left out keeps its value
            value = values[column.name]
            if column.kind == "ref":
                target = targets.get(value)
                if value and target is None:
                    problems.append(ImportProblem(row, column.name, missing_message))
                value = target
            elif column.kind == "bool" and value is None:
                value = column.name != "is_demo"  # higher_is_better, prespecified default true
            elif column.name == "status" and not value:
                value = Intervention.Status.DRAFT
            if value is not None or column.kind != "ref":
                setattr(obj, column.attr or column.name, value)
        objects.append((row, obj))

    if kind == "findings":
        _compute_effects(objects, problems)
    row_has_problem = {p.row for p in problems}
    for row, obj in objects:
        if row in row_has_problem:
            continue
        try:
            obj.full_clean(validate_unique=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    problems.append(ImportProblem(row, _column_name(kind, name), message))
    if problems:
        problems = [
            ImportProblem(p.row, used.get(p.column or "", p.column), p.message) for p in problems
        ]
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise ImportInvalid(problems)
    return [obj for _row, obj in objects]


def _column_name(kind: str, attr: str) -> str | None:
    if attr == "__all__":
        return None
    for column in COLUMNS[kind]:
        if (column.attr or column.name) == attr:
            return column.name
    return attr


def _compute_effects(
    objects: list[tuple[int, models.Model]], problems: list[ImportProblem]
) -> None:
    from whatworks.evidence.services.store import raw_stats

    bad_rows = {p.row for p in problems}
    todo = [(row, obj) for row, obj in objects if row not in bad_rows]
    stats = [raw_stats(obj) for _row, obj in todo]  # type: ignore[arg-type]
    try:
        effects = analytics.compute_effects(stats)
    except analytics.EffectInputError as error:
        for p in error.problems:
            problems.append(ImportProblem(todo[p.index][0], p.field, p.message))
        bad = {p.index for p in error.problems}
        todo = [item for index, item in enumerate(todo) if index not in bad]
        effects = analytics.compute_effects([s for i, s in enumerate(stats) if i not in bad])
    for (_row, obj), effect in zip(todo, effects, strict=True):
        obj.effect_size = effect.effect_size  # type: ignore[attr-defined]
        obj.se = effect.se  # type: ignore[attr-defined]
        obj.ci_low = effect.ci_low  # type: ignore[attr-defined]
        obj.ci_high = effect.ci_high  # type: ignore[attr-defined]


# --- importing ----------------------------------------------------------------------------


def _intervention_of(obj: models.Model) -> Intervention:
    if isinstance(obj, Intervention):
        return obj
    if isinstance(obj, Study):
        return obj.intervention
    assert isinstance(obj, Finding)
    return obj.study.intervention


@transaction.atomic
def evidence_import(*, actor: User | None, kind: str, fmt: str, data: bytes) -> ImportReport:
    """Validate the whole file, then write it all or nothing (see the module docstring)."""
    objects = validate(kind=kind, rows=read_rows(data=data, fmt=fmt))
    model: Any = MODELS[kind]
    fields = [c.attr or c.name for c in COLUMNS[kind]]
    created = updated = 0
    affected: dict[int, Intervention] = {}
    manager = model._default_manager
    previous = {o.pk: o for o in manager.filter(pk__in=[o.pk for o in objects if o.pk])}
    for obj in objects:
        before = previous.get(obj.pk) if obj.pk else None
        is_new = obj.pk is None
        obj.save()
        created += is_new
        updated += not is_new
        audit_record(
            actor=actor,
            action=f"evidence.{model._meta.model_name}_imported",
            target=obj,
            changes=diff_fields(before, obj, fields),
        )
        intervention = _intervention_of(obj)
        affected[intervention.pk] = intervention
        if (
            isinstance(before, Study)
            and isinstance(obj, Study)
            and before.intervention_id != obj.intervention_id
        ):
            affected[before.intervention_id] = before.intervention
    for intervention in affected.values():
        if kind != "interventions":
            synthesis_refresh(intervention=intervention)
        search_index_refresh(intervention=intervention)
    audit_record(
        actor=actor,
        action=AuditAction.EVIDENCE_IMPORT,
        changes={"kind": kind, "format": fmt, "created": created, "updated": updated},
    )
    return ImportReport(kind=kind, created=created, updated=updated)


# --- exporting ----------------------------------------------------------------------------


def export_rows(*, kind: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Every object of the kind (drafts included) as rows keyed by column name."""
    columns = COLUMNS[kind]
    header = [c.name for c in columns] + list(COMPUTED_COLUMNS.get(kind, ()))
    queryset: Any = MODELS[kind]._default_manager.order_by("slug")
    if kind == "studies":
        queryset = queryset.select_related("intervention")
    elif kind == "findings":
        queryset = queryset.select_related("study")
    rows = []
    for obj in queryset.iterator(chunk_size=2000):
        row: dict[str, Any] = {}
        for name in header:
            column = next((c for c in columns if c.name == name), None)
            value = getattr(obj, (column.attr if column and column.attr else name))
            if isinstance(value, models.Model):
                value = value.slug  # type: ignore[attr-defined]
            elif isinstance(value, date):
                value = value.isoformat()
            row[name] = value
        rows.append(row)
    return header, rows


def export_file(*, kind: str, fmt: str) -> str:
    header, rows = export_rows(kind=kind)
    if fmt == "json":
        return json.dumps(rows, indent=1, ensure_ascii=False)
    handle = io.StringIO()
    write_csv(
        handle,
        header=header,
        rows=([_cell(row[name]) for name in header] for row in rows),
    )
    return handle.getvalue()


def _cell(value: Any) -> Any:
    return ";".join(value) if isinstance(value, list) else value


def problems_by_row(problems: list[ImportProblem]) -> Mapping[int | None, list[ImportProblem]]:
    grouped: dict[int | None, list[ImportProblem]] = {}
    for problem in problems:
        grouped.setdefault(problem.row, []).append(problem)
    return grouped
