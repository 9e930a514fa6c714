"""Results typed in row by row instead of imported as JSON: the rows and their checks.

Pure logic, no database.  A row answers one outcome: a pre-registered one (the protocol's
outcome, or ``not_reported``) or one the protocol did not name (flagged on the results
page as not pre-registered).  :func:`rows_problems` lists every problem of every row at
once, each saying how to put it right; :func:`rows_results` turns valid rows into the
result items that ``results_save`` stores, the same items a result bundle gives, so the
verdicts come out of the same code (``verdicts.assess``) either way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from whatworks.registry.protocol import format_number

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class ResultRow:
    #: The outcome's key; for a pre-registered outcome, the protocol's key.
    outcome: str
    #: How messages name the row (the outcome's name, or "Additional outcome 2").
    label: str
    pre_registered: bool = True
    statistic: str = ""
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    n: int | None = None
    note: str = ""
    not_reported: bool = False
    #: A pilot's metrics carried over from the draft (not typed on the form).
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def has_figures(self) -> bool:
        return any(v is not None for v in (self.estimate, self.lower, self.upper, self.n))

    @property
    def is_blank(self) -> bool:
        return not (self.has_figures or self.statistic or self.note or self.outcome)


def row_problems(row: ResultRow) -> list[str]:
    """Everything wrong with one row, each with how to fix it."""
    name = row.label
    problems: list[str] = []
    if row.not_reported:
        if row.has_figures:
            problems.append(
                _(
                    "%(name)s: you ticked “Not reported” and also gave figures. "
                    "Clear the figures, or untick “Not reported”."
                )
                % {"name": name}
            )
        return problems
    numbers = [v for v in (row.estimate, row.lower, row.upper) if v is not None]
    if any(not math.isfinite(v) for v in numbers):
        return [f"{name}: numbers must be finite; enter them as ordinary decimals."]
    if row.estimate is None and not row.metrics:
        if row.lower is not None or row.upper is not None:
            problems.append(
                _(
                    "%(name)s: an interval needs its estimate. Enter the "
                    "estimate, or clear the interval."
                )
                % {"name": name}
            )
        else:
            problems.append(
                _(
                    "%(name)s: give the estimate, or tick “Not reported” if "
                    "there is no result for this outcome."
                )
                % {"name": name}
                if row.pre_registered
                else _("%(name)s: give the estimate, or clear the row.") % {"name": name}
            )
    if (row.lower is None) != (row.upper is None):
        missing = "upper" if row.upper is None else "lower"
        problems.append(
            _(
                "%(name)s: the interval has no %(missing)s end. Give both "
                "ends of the interval, or leave both empty."
            )
            % {"name": name, "missing": missing}
        )
    lower, estimate, upper = row.lower, row.estimate, row.upper
    if lower is not None and upper is not None and lower > upper:
        problems.append(
            _(
                "%(name)s: the lower end (%(lower)s) is above the upper end "
                "(%(upper)s). Check whether the two are the wrong way round."
            )
            % {"name": name, "lower": format_number(lower), "upper": format_number(upper)}
        )
    elif estimate is not None:
        if lower is not None and lower > estimate:
            problems.append(
                _(
                    "%(name)s: the lower end (%(lower)s) is above the estimate "
                    "(%(estimate)s). The interval must hold the estimate: lower "
                    "≤ estimate ≤ upper."
                )
                % {"name": name, "lower": format_number(lower), "estimate": format_number(estimate)}
            )
        if upper is not None and upper < estimate:
            problems.append(
                _(
                    "%(name)s: the upper end (%(upper)s) is below the estimate "
                    "(%(estimate)s). The interval must hold the estimate: lower "
                    "≤ estimate ≤ upper."
                )
                % {"name": name, "upper": format_number(upper), "estimate": format_number(estimate)}
            )
    if row.n is not None and row.n < 1:
        problems.append(
            _("%(name)s: n is how many the estimate rests on; enter a whole number ≥ 1.")
            % {"name": name}
        )
    if not row.pre_registered and not KEY_PATTERN.match(row.outcome):
        problems.append(
            _(
                "%(name)s: give the outcome a short key of lower-case "
                "letters, digits and hyphens, for example “time-to-plan”."
            )
            % {"name": name}
        )
    return problems


def rows_problems(rows: Sequence[ResultRow], registered: Sequence[str]) -> list[str]:
    """Every problem of every row, and of the rows together."""
    problems: list[str] = []
    seen: set[str] = set()
    for row in rows:
        if not row.pre_registered and row.is_blank:
            continue
        problems.extend(row_problems(row))
        if not row.pre_registered and row.outcome:
            if row.outcome in registered:
                problems.append(
                    _(
                        "%(label)s: “%(outcome)s” is a pre-registered outcome. Enter "
                        "its result in its own row above and clear this one."
                    )
                    % {"label": row.label, "outcome": row.outcome}
                )
            elif row.outcome in seen:
                problems.append(
                    _("%(label)s: “%(outcome)s” appears twice. Give each outcome one row.")
                    % {"label": row.label, "outcome": row.outcome}
                )
            seen.add(row.outcome)
    missing = [key for key in registered if key not in {r.outcome for r in rows}]
    if missing:
        problems.append(
            "Every pre-registered outcome needs a row (a result or “Not reported”); missing: "
            + ", ".join(missing)
            + "."
        )
    return problems


def rows_results(rows: Sequence[ResultRow]) -> list[dict[str, Any]]:
    """The result items for ``results_save`` (the bundle's ``results``), in row order."""
    items: list[dict[str, Any]] = []
    for row in rows:
        if row.not_reported or (not row.pre_registered and row.is_blank):
            continue
        item: dict[str, Any] = {"outcome": row.outcome}
        if row.statistic:
            item["statistic"] = row.statistic
        for name in ("estimate", "lower", "upper", "n"):
            value = getattr(row, name)
            if value is not None:
                item[name] = value
        if row.metrics:
            item["metrics"] = dict(row.metrics)
        if row.note:
            item["note"] = row.note
        items.append(item)
    return items
