"""Weighted cross-tabs of a poll's choice questions by a member attribute, small cells
suppressed.

Reads only.  Each respondent keeps the profile they answered with (a snapshot on the
response), so a cross-tab by role, region, employer type, age band, sex, ethnic group or
years in practice needs nothing of the member.  A column (a group of respondents) with
fewer than ``MIN_CELL`` people answering the question is not shown, nor is a cell chosen by
fewer than ``MIN_CELL``: a share of a handful of people could tell who they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from whatworks.core.models import Region
from whatworks.panel import analytics
from whatworks.panel.models import (
    AgeBand,
    EmployerType,
    Ethnicity,
    Sex,
    WorkforceRole,
    YearsInPractice,
)
from whatworks.panel.results import MIN_CELL, PollResults, QuestionResult, chose

#: What a cross-tab can be by: field -> (label, its choices).
ATTRIBUTES: dict[str, tuple[str | Promise, type[TextChoices]]] = {
    "role": (_("Role"), WorkforceRole),
    "region": (_("Region"), Region),
    "employer_type": (_("Employer type"), EmployerType),
    "age_band": (_("Age"), AgeBand),
    "sex": (_("Sex"), Sex),
    "ethnicity": (_("Ethnic group"), Ethnicity),
    "years": (_("Years in practice"), YearsInPractice),
}


@dataclass
class Column:
    label: str
    n: int
    suppressed: bool


@dataclass
class Cell:
    share: float = math.nan
    moe: float = math.nan
    count: int = 0
    suppressed: bool = True


@dataclass
class CrossTab:
    result: QuestionResult
    by: str
    columns: list[Column] = field(default_factory=list)
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    weighted: bool = False

    @property
    def shown_columns(self) -> int:
        return sum(not c.suppressed for c in self.columns)


def crosstabs(results: PollResults, by: str) -> list[CrossTab]:
    """One cross-tab per choice question that has results to show."""
    if by not in ATTRIBUTES:
        raise ValueError(f"cannot cross-tabulate by {by!r}")
    choices = ATTRIBUTES[by][1]
    levels = [(value, str(label)) for value, label in choices.choices]
    group_of = np.array([str(r[by]) for r in results.respondents], dtype=object)
    weighting = results.weighting
    tables = []
    for qr in results.questions:
        if qr.suppressed or not qr.rows:
            continue
        index, values = results.answers[qr.question.pk]
        groups = group_of[index] if index.size else np.array([], dtype=object)
        table = CrossTab(result=qr, by=by, weighted=weighting.available)
        masks = []
        for value, label in levels:
            mask = groups == value
            n = int(mask.sum())
            if n == 0:
                continue
            table.columns.append(Column(label=label, n=n, suppressed=n < MIN_CELL))
            masks.append(mask)
        for option in qr.question.choice_options():
            chosen = chose(qr.question, values, option)
            cells = []
            for column, mask in zip(table.columns, masks, strict=True):
                cell = Cell(count=int(chosen[mask].sum()))
                if not column.suppressed and cell.count >= MIN_CELL:
                    cell.suppressed = False
                    if weighting.available:
                        sub = analytics.Weighting(
                            weights=weighting.weights[index][mask],
                            in_scope=weighting.in_scope[index][mask],
                            result=None,
                        )
                        cell.share, cell.moe = analytics.share(chosen[mask], sub)
                    else:
                        cell.share, cell.moe = analytics.share(chosen[mask])
                cells.append(cell)
            table.rows.append((option, cells))
        tables.append(table)
    return tables
