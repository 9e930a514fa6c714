"""A field-level diff between two protocol versions' content.  Pure, no database.

Outcomes are matched by their key and success criteria by (outcome, statistic), so that a
renamed measure or a moved threshold shows as a change to that outcome or criterion, not
as one list replaced by another.  Changes to outcomes and success criteria are marked
``highlighted``: that is where outcome switching hides.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from whatworks.registry.analysis_plan import diff_trial_analysis
from whatworks.registry.design import DESIGN_FIELDS, arm_text, design_field_text
from whatworks.registry.protocol import (
    ATTACHMENT_LABELS,
    HIGHLIGHTED_SECTIONS,
    SECTION_LABELS,
    format_number,
)

OUTCOME_FIELDS = (
    ("name", "name"),
    ("kind", "primary or secondary"),
    ("measure", "measure"),
    ("time_point", "time point"),
    ("analysis", "analysis"),
)


@dataclass(frozen=True)
class Segment:
    op: str  # "equal", "insert" or "delete"
    text: str


@dataclass(frozen=True)
class DiffRow:
    section: str
    label: str
    change: str  # "added", "removed" or "changed"
    before: str
    after: str
    highlighted: bool

    @property
    def flag(self) -> str:
        """What a highlighted row's tag says."""
        if self.section == "arms":
            return "Arms changed"
        if self.section == "attachments":
            return "Attached document changed"
        return "Outcome or criterion changed"

    @property
    def segments(self) -> list[Segment]:
        return word_diff(self.before, self.after)


_TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> list[Segment]:
    """Word-level segments from ``before`` to ``after`` for <del>/<ins> rendering."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", "".join(old[i1:i2])))
            continue
        if op in ("delete", "replace"):
            segments.append(Segment("delete", "".join(old[i1:i2])))
        if op in ("insert", "replace"):
            segments.append(Segment("insert", "".join(new[j1:j2])))
    return segments


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format_number(float(value))
    if isinstance(value, list | tuple):
        return "\n".join(f"{i}. {item}" for i, item in enumerate(value, start=1))
    return str(value)


def _row(section: str, label: str, before: str, after: str) -> DiffRow | None:
    if before == after:
        return None
    change = "added" if not before else "removed" if not after else "changed"
    return DiffRow(section, label, change, before, after, section in HIGHLIGHTED_SECTIONS)


def _criterion_key(criterion: dict[str, Any]) -> tuple[str, str]:
    return (str(criterion.get("outcome", "")), str(criterion.get("statistic", "")))


def _criterion_text(criterion: dict[str, Any] | None) -> str:
    if not criterion:
        return ""
    return (
        f"{criterion.get('statistic')} of {criterion.get('outcome')} "
        f"{criterion.get('comparison')} {_text(criterion.get('threshold'))}"
    )


def diff_content(before: dict[str, Any], after: dict[str, Any]) -> list[DiffRow]:
    """Every field that differs, in template order."""
    rows: list[DiffRow | None] = []
    for section, heading in SECTION_LABELS.items():
        old, new = before.get(section), after.get(section)
        if section == "outcomes":
            rows.extend(_diff_outcomes(old or [], new or []))
        elif section == "success_criteria":
            rows.extend(_diff_criteria(old or {}, new or {}))
        else:
            rows.append(_row(section, heading, _text(old), _text(new)))
    rows.extend(_diff_design(before.get("study_design") or {}, after.get("study_design") or {}))
    rows.extend(_diff_attachments(before.get("attachments") or [], after.get("attachments") or []))
    rows.extend(
        _diff_experiments(
            before.get("pilot_experiments") or [], after.get("pilot_experiments") or []
        )
    )
    rows.extend(
        # A registered analysis that changes is flagged as outcome switching is; a plan
        # registered for the first time is not.
        DiffRow("trial_analysis", label, change, old_text, new_text, change != "added")
        for label, change, old_text, new_text in diff_trial_analysis(
            before.get("trial_analysis"), after.get("trial_analysis")
        )
    )
    return [row for row in rows if row is not None]


def _diff_design(old: dict[str, Any], new: dict[str, Any]) -> list[DiffRow | None]:
    """The structured design: arms by name (highlighted), then each field."""
    old_arms = {a.get("name"): a for a in old.get("arms") or []}
    new_arms = {a.get("name"): a for a in new.get("arms") or []}
    rows: list[DiffRow | None] = []
    for name in [*old_arms, *(n for n in new_arms if n not in old_arms)]:
        a, b = old_arms.get(name), new_arms.get(name)
        rows.append(
            _row(
                "arms",
                f"Arm “{name}”",
                arm_text(a) if a is not None else "",
                arm_text(b) if b is not None else "",
            )
        )
    for field, label in DESIGN_FIELDS:
        rows.append(
            _row(
                "study_design",
                f"Design: {label}",
                design_field_text(field, old.get(field)),
                design_field_text(field, new.get(field)),
            )
        )
    return rows


def _attachment_text(item: dict[str, Any] | None) -> str:
    if not item:
        return ""
    return f"{item.get('name')} ({item.get('size')} bytes), SHA-256 {item.get('sha256')}"


def _diff_attachments(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[DiffRow | None]:
    """Attached documents by kind: a new file of a kind shows as its fingerprint changing."""
    old_by, new_by = {a.get("kind"): a for a in old}, {a.get("kind"): a for a in new}
    return [
        _row(
            "attachments",
            ATTACHMENT_LABELS.get(str(kind), str(kind)),
            _attachment_text(old_by.get(kind)),
            _attachment_text(new_by.get(kind)),
        )
        for kind in [*old_by, *(k for k in new_by if k not in old_by)]
    ]


def _experiment_text(experiment: dict[str, Any] | None) -> str:
    if not experiment:
        return ""
    criteria = "; ".join(
        f"{c.get('metric')} {c.get('op')} {_text(c.get('threshold'))}"
        for c in experiment.get("success", [])
    )
    return (
        f"config SHA-256 {experiment.get('config_hash')}; model {experiment.get('model')}; "
        f"success criteria: {criteria}"
    )


def _diff_experiments(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[DiffRow | None]:
    """Pilot experiments by key: a new config (even with the same criteria) shows here."""
    old_by, new_by = {e.get("key"): e for e in old}, {e.get("key"): e for e in new}
    return [
        DiffRow(
            "pilot_experiments",
            f"Pilot experiment “{key}”",
            change,
            _experiment_text(old_by.get(key)),
            _experiment_text(new_by.get(key)),
            True,
        )
        for key in [*old_by, *(k for k in new_by if k not in old_by)]
        if old_by.get(key) != new_by.get(key)
        for change in [
            "added" if key not in old_by else "removed" if key not in new_by else "changed"
        ]
    ]


def _diff_outcomes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[DiffRow | None]:
    old_by, new_by = {o["key"]: o for o in old}, {o["key"]: o for o in new}
    rows: list[DiffRow | None] = []
    for key in [*old_by, *(k for k in new_by if k not in old_by)]:
        a, b = old_by.get(key), new_by.get(key)
        if a is None or b is None:
            present = a or b or {}
            whole = "; ".join(f"{label}: {present.get(name, '')}" for name, label in OUTCOME_FIELDS)
            rows.append(
                _row("outcomes", f"Outcome “{key}”", whole if a else "", whole if b else "")
            )
            continue
        for name, label in OUTCOME_FIELDS:
            rows.append(
                _row(
                    "outcomes", f"Outcome “{key}”: {label}", _text(a.get(name)), _text(b.get(name))
                )
            )
    return rows


def _diff_criteria(old: dict[str, Any], new: dict[str, Any]) -> list[DiffRow | None]:
    rows: list[DiffRow | None] = [
        _row(
            "success_criteria",
            "How the success criteria combine",
            _text(old.get("combine")),
            _text(new.get("combine")),
        )
    ]
    old_by = {_criterion_key(c): c for c in old.get("criteria", [])}
    new_by = {_criterion_key(c): c for c in new.get("criteria", [])}
    for key in [*old_by, *(k for k in new_by if k not in old_by)]:
        rows.append(
            _row(
                "success_criteria",
                f"Success criterion on {key[1]} of “{key[0]}”",
                _criterion_text(old_by.get(key)),
                _criterion_text(new_by.get(key)),
            )
        )
    return rows
