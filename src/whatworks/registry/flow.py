"""What a results report says beyond the per-outcome results (issue #17), as
ClinicalTrials.gov's results section does: the participant flow (CONSORT numbers per arm:
randomised, received the allocated intervention, lost to follow-up, analysed), a baseline
table (each characteristic, per arm), harms and unintended effects, and a plain-language
summary.

The arms are the registered version's (``design.py``); a design without arms has one
row, "All participants".  The numbers must add up: nobody is counted as receiving, lost or
analysed who was not randomised, and no outcome's n exceeds the number randomised.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from whatworks.registry.errors import RegistryError
from whatworks.registry.models import ResultsReport
from whatworks.registry.protocol import parse_content, validation_messages

ALL_PARTICIPANTS = "All participants"
STAGES: tuple[tuple[str, str], ...] = (
    ("randomised", "Randomised (or enrolled)"),
    ("received", "Received the allocated intervention"),
    ("lost", "Lost to follow-up"),
    ("analysed", "Analysed"),
)
STAGE_LABELS = dict(STAGES)
MAX_BASELINE_ROWS = 30


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class ArmFlow(_Strict):
    arm: str = Field(min_length=1, max_length=200)
    randomised: int = Field(ge=0, le=10_000_000)
    received: int | None = Field(default=None, ge=0, le=10_000_000)
    lost: int | None = Field(default=None, ge=0, le=10_000_000)
    analysed: int | None = Field(default=None, ge=0, le=10_000_000)


class BaselineRow(_Strict):
    characteristic: str = Field(min_length=1, max_length=200)
    values: tuple[str, ...]


def report_arms(report: ResultsReport) -> list[str]:
    """The arms of the version the report answers to, or one row for everyone."""
    design = parse_content(report.protocol_version.content).study_design
    names = [arm.name for arm in design.arms] if design else []
    return names or [ALL_PARTICIPANTS]


def flow_problems(flow: list[ArmFlow], results: list[dict[str, Any]]) -> list[str]:
    """Where the numbers do not add up, every problem at once."""
    problems = []
    for row in flow:
        for stage in ("received", "lost", "analysed"):
            value = getattr(row, stage)
            if value is not None and value > row.randomised:
                problems.append(
                    gettext(
                        "%(arm)s: %(stage)s (%(count)s) is more than the "
                        "%(randomised)s randomised; nobody can be counted who was "
                        "not randomised."
                    )
                    % {
                        "arm": row.arm,
                        "stage": STAGE_LABELS[stage].lower(),
                        "count": value,
                        "randomised": row.randomised,
                    }
                )
    total = sum(row.randomised for row in flow)
    if flow:
        for result in results:
            n = result.get("n")
            if isinstance(n, int) and n > total:
                problems.append(
                    gettext(
                        "The result for “%(outcome)s” rests on n = %(n)s, more than "
                        "the %(total)s randomised in the participant flow: correct "
                        "one or the other."
                    )
                    % {"outcome": result.get("outcome"), "n": n, "total": total}
                )
    return problems


def parse_flow(data: Any, arms: list[str]) -> tuple[list[ArmFlow], list[str]]:
    """The flow's rows that parse, and every problem of the rows."""
    problems: list[str] = []
    rows: list[ArmFlow] = []
    for index, item in enumerate(data or []):
        try:
            rows.append(ArmFlow.model_validate(item))
        except ValidationError as exc:
            problems.extend(
                f"Participant flow, row {index + 1}: {m}" for m in validation_messages(exc)
            )
    unknown = [r.arm for r in rows if r.arm not in arms]
    if unknown:
        problems.append(
            "The participant flow names arms the protocol does not: "
            + ", ".join(unknown)
            + f". Use the registered arms: {', '.join(arms)}."
        )
    if len({r.arm for r in rows}) != len(rows):
        problems.append(gettext("Give each arm's participant flow once."))
    return rows, problems + flow_problems(rows, [])


def parse_baseline(data: Any, arms: list[str]) -> list[BaselineRow]:
    problems: list[str] = []
    rows: list[BaselineRow] = []
    for index, item in enumerate(data or []):
        try:
            row = BaselineRow.model_validate(item)
        except ValidationError as exc:
            problems.extend(
                f"Baseline table, row {index + 1}: {m}" for m in validation_messages(exc)
            )
            continue
        if len(row.values) != len(arms):
            problems.append(
                gettext(
                    "Baseline table, “%(characteristic)s”: give one value for "
                    "each of the %(n_arms)s arms."
                )
                % {"characteristic": row.characteristic, "n_arms": len(arms)}
            )
        if any(len(v) > 200 for v in row.values):
            problems.append(
                gettext("Baseline table, “%(characteristic)s”: a value is too long.")
                % {"characteristic": row.characteristic}
            )
        rows.append(row)
    if len(rows) > MAX_BASELINE_ROWS:
        problems.append(
            gettext("A baseline table has at most %(max_baseline_rows)s rows.")
            % {"max_baseline_rows": MAX_BASELINE_ROWS}
        )
    if problems:
        raise RegistryError(problems)
    return rows


# --- forms -------------------------------------------------------------------------------


def _count(label: str) -> forms.IntegerField:
    field = forms.IntegerField(label=label, required=False, min_value=0, max_value=10_000_000)
    field.widget.attrs["inputmode"] = "numeric"
    return field


class ArmFlowForm(forms.Form):
    """One arm's CONSORT numbers; ``arm`` names it (set by the view)."""

    randomised = _count(str(_("Randomised (or enrolled)")))
    received = _count(str(_("Received the allocated intervention")))
    lost = _count(str(_("Lost to follow-up")))
    analysed = _count(str(_("Analysed")))

    def __init__(self, *args: Any, arm: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arm = arm

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [s for s, _label in STAGES if data.get(s) is not None]
        if given and data.get("randomised") is None:
            self.add_error(
                "randomised", _("Give the number randomised, or leave this arm's row empty.")
            )
        return data

    def row(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("randomised") is None:
            return None
        return {"arm": self.arm, **{s: data.get(s) for s, _label in STAGES}}


class BaselineRowForm(forms.Form):
    """One characteristic with a value per arm (the arms' fields are added by the view)."""

    characteristic = forms.CharField(label=_("Characteristic"), required=False, max_length=200)

    def __init__(self, *args: Any, arms: list[str], label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label
        self.arms = arms
        for index, arm in enumerate(arms):
            self.fields[f"arm{index}"] = forms.CharField(label=arm, required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = [data.get(f"arm{i}") or "" for i in range(len(self.arms))]
        if any(values) and not data.get("characteristic"):
            self.add_error("characteristic", _("Name the characteristic these values describe."))
        return data

    def row(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("characteristic"):
            return None
        return {
            "characteristic": data["characteristic"],
            "values": [data.get(f"arm{i}") or "" for i in range(len(self.arms))],
        }


class FlowTextForm(forms.Form):
    harms = forms.CharField(
        label=_("Harms and unintended effects"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What went wrong for anyone, in either arm, and anything unintended — or say that "
            "none were seen and how they were looked for."
        ),
    )
    plain_summary = forms.CharField(
        label=_("Plain-language summary"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "For families and practitioners: what was tested, what was found and what it "
            "means, in everyday words."
        ),
    )
