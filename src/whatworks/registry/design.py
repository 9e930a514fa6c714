"""A protocol's structured design (issue #17): arms, randomisation, allocation, the planned
sample size, blinding, setting and sites — what ClinicalTrials.gov and the AEA registry ask
for in fields rather than in prose.

The design is part of the registered version: it is frozen, hashed and diffed like every
other section.  In the canonical JSON it is left out when empty, and within it every field
left at its default is left out, so that the content (and hash) of versions registered
before it existed, or before a field was added to it, stays exactly as it was.

This module knows nothing of the database; its forms parse input and the services decide.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: An allocation ratio: whole numbers joined by colons, one per arm ("1:1", "2:1:1").
RATIO_RE = re.compile(r"^[1-9][0-9]{0,2}(:[1-9][0-9]{0,2})+$")


class RandomisationUnit(StrEnum):
    INDIVIDUAL = "individual"
    FAMILY = "family"
    PRACTITIONER = "practitioner"
    TEAM = "team"
    SITE = "site"
    NOT_RANDOMISED = "not-randomised"


RANDOMISATION_UNIT_LABELS = {
    RandomisationUnit.INDIVIDUAL: "Individual children or young people",
    RandomisationUnit.FAMILY: "Families or households",
    RandomisationUnit.PRACTITIONER: "Practitioners (social workers, family support workers)",
    RandomisationUnit.TEAM: "Teams",
    RandomisationUnit.SITE: "Sites or local authorities (cluster randomisation)",
    RandomisationUnit.NOT_RANDOMISED: "Not randomised",
}


class Masked(StrEnum):
    """Who does not know which arm a participant is in."""

    PARTICIPANTS = "participants"
    PRACTITIONERS = "practitioners"
    ASSESSORS = "outcome-assessors"
    ANALYSTS = "analysts"


MASKED_LABELS = {
    Masked.PARTICIPANTS: "Children and families",
    Masked.PRACTITIONERS: "Practitioners delivering the service",
    Masked.ASSESSORS: "Those who assess the outcomes",
    Masked.ANALYSTS: "Those who analyse the data",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Arm(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    planned_n: int | None = Field(default=None, ge=1, le=10_000_000)


class StudyDesign(_Strict):
    """The structured design of a protocol version.  Every field is optional here;
    :func:`design_registration_problems` says what a randomised trial must state."""

    arms: tuple[Arm, ...] = ()
    randomisation_unit: RandomisationUnit | None = None
    randomisation_method: str = Field(default="", max_length=2000)
    allocation_ratio: str = Field(default="", max_length=40)
    planned_sample_size: int | None = Field(default=None, ge=1, le=10_000_000)
    blinded: tuple[Masked, ...] = ()
    blinding_details: str = Field(default="", max_length=2000)
    setting: str = Field(default="", max_length=2000)
    sites: tuple[str, ...] = ()
    # The power calculation (the trials issue, #18) belongs in this model, as an optional
    # field left at None by default: ``as_json`` leaves defaults out, so adding it changes
    # no registered version's hash.  Its form and its check go with it, not here.

    @field_validator("sites")
    @classmethod
    def _no_blank_sites(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: list[str] = []
        for site in (s.strip() for s in value):
            if site and site.casefold() not in {s.casefold() for s in seen}:
                seen.append(site)
        for site in seen:
            if len(site) > 200:
                raise ValueError(f"A site's name can be at most 200 characters: “{site[:40]}…”.")
        return tuple(seen)

    @field_validator("blinded")
    @classmethod
    def _blinded_once_in_order(cls, value: tuple[Masked, ...]) -> tuple[Masked, ...]:
        return tuple(m for m in Masked if m in set(value))

    @model_validator(mode="after")
    def _consistent(self) -> StudyDesign:
        problems = design_problems(self)
        if problems:
            raise ValueError(" ".join(message for _field, message in problems))
        return self

    def is_empty(self) -> bool:
        return self == StudyDesign()

    def as_json(self) -> dict[str, Any]:
        """The design's canonical form: fields at their defaults are left out."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @property
    def randomised(self) -> bool:
        return (
            self.randomisation_unit is not None
            and self.randomisation_unit != RandomisationUnit.NOT_RANDOMISED
        )

    @property
    def unit_label(self) -> str:
        return RANDOMISATION_UNIT_LABELS[self.randomisation_unit] if self.randomisation_unit else ""

    @property
    def blinded_labels(self) -> list[str]:
        return [MASKED_LABELS[m] for m in self.blinded]


def design_problems(design: StudyDesign) -> list[tuple[str, str]]:
    """Parts of a design that contradict each other, as (field, message) pairs."""
    problems: list[tuple[str, str]] = []
    names = [arm.name.casefold() for arm in design.arms]
    if len(names) != len(set(names)):
        problems.append(("arms", "Give each arm its own name."))
    if design.allocation_ratio:
        if not RATIO_RE.match(design.allocation_ratio):
            problems.append(
                (
                    "allocation_ratio",
                    "Write the allocation ratio as whole numbers joined by colons, one for "
                    "each arm, such as 1:1 or 2:1:1.",
                )
            )
        elif design.arms and len(design.allocation_ratio.split(":")) != len(design.arms):
            parts = len(design.allocation_ratio.split(":"))
            problems.append(
                (
                    "allocation_ratio",
                    f"The allocation ratio {design.allocation_ratio} has {parts} parts but the "
                    f"design has {len(design.arms)} arms: give one number for each arm, in "
                    "the order of the arms.",
                )
            )
        if design.randomisation_unit == RandomisationUnit.NOT_RANDOMISED:
            problems.append(
                (
                    "allocation_ratio",
                    "A study that is not randomised has no allocation ratio: leave it empty, "
                    "or choose the unit of randomisation.",
                )
            )
    planned = [arm.planned_n for arm in design.arms]
    if (
        design.planned_sample_size is not None
        and planned
        and all(n is not None for n in planned)
        and sum(n for n in planned if n is not None) != design.planned_sample_size
    ):
        total = sum(n for n in planned if n is not None)
        problems.append(
            (
                "planned_sample_size",
                f"The arms' planned numbers add up to {total}, not to the planned sample size "
                f"of {design.planned_sample_size}: make them agree.",
            )
        )
    return problems


def design_registration_problems(design: StudyDesign | None, *, study_type: str) -> list[str]:
    """What a randomised trial's design must state before it is registered."""
    if study_type != "randomised-trial":
        return []
    design = design or StudyDesign()
    problems = []
    if len(design.arms) < 2:
        problems.append(
            gettext(
                "Name the trial's arms: at least two (for example, the service and usual practice)."
            )
        )
    if not design.randomised:
        problems.append(gettext("Say what is randomised (the unit of randomisation)."))
    if not design.randomisation_method:
        problems.append(gettext("Describe how the allocation is randomised (the method)."))
    if not design.allocation_ratio:
        problems.append(gettext("Give the allocation ratio, such as 1:1."))
    if design.planned_sample_size is None:
        problems.append(gettext("Give the planned sample size."))
    return problems


# --- forms -------------------------------------------------------------------------------


class StudyDesignForm(forms.Form):
    """The design's single fields; the arms are a formset of :class:`ArmForm`."""

    randomisation_unit = forms.ChoiceField(
        label=_("Unit of randomisation"),
        required=False,
        choices=[("", _("Not stated yet"))]
        + [(unit.value, label) for unit, label in RANDOMISATION_UNIT_LABELS.items()],
    )
    randomisation_method = forms.CharField(
        label=_("Method of randomisation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Who generates the sequence, how (simple, blocked, stratified, minimisation) and "
            "how it is concealed until allocation."
        ),
    )
    allocation_ratio = forms.CharField(
        label=_("Allocation ratio"),
        required=False,
        max_length=40,
        help_text=_("One whole number for each arm, in the arms' order, such as 1:1 or 2:1:1."),
    )
    planned_sample_size = forms.IntegerField(
        label=_("Planned sample size"),
        required=False,
        min_value=1,
        max_value=10_000_000,
        help_text=_(
            "How many participants the analysis will include. The arms' planned numbers, "
            "when all are given, must add up to it."
        ),
    )
    blinded = forms.MultipleChoiceField(
        label=_("Who will not know the allocation (blinding)"),
        required=False,
        choices=[(m.value, label) for m, label in MASKED_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none for an open study."),
    )
    blinding_details = forms.CharField(
        label=_("How blinding is kept (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    setting = forms.CharField(
        label=_("Setting"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Where the service is delivered, for example “the front door of children's services”."
        ),
    )
    sites = forms.CharField(
        label=_("Sites"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One site a line, for example a local authority."),
    )
    planned_sample_size.widget.attrs["inputmode"] = "numeric"

    def add_design_problems(self, design: dict[str, Any], arms: forms.BaseFormSet[Any]) -> bool:
        """Show the contradictions of ``design`` (from :func:`design_content`) on their
        fields, before the service sees it; True when there were any."""
        fields = {k: v for k, v in design.items() if k != "arms"}
        if fields.get("randomisation_unit"):
            fields["randomisation_unit"] = RandomisationUnit(fields["randomisation_unit"])
        built = StudyDesign.model_construct(
            arms=tuple(Arm.model_construct(**arm) for arm in design.get("arms", [])), **fields
        )
        problems = design_problems(built)
        for field, message in problems:
            if field == "arms":
                arms._non_form_errors = arms.error_class([message])  # type: ignore[attr-defined]
            else:
                self.add_error(field, message)
        return bool(problems)


class ArmForm(forms.Form):
    """One arm.  A row left blank is ignored (see ``forms._RowForm``)."""

    not_content: tuple[str, ...] = ("DELETE",)
    legend = ""

    name = forms.CharField(
        label=_("Arm"),
        max_length=200,
        help_text=_("For example “Family group conference” or “Usual practice”."),
    )
    description = forms.CharField(
        label=_("What this arm receives (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    planned_n = forms.IntegerField(
        label=_("Planned number (optional)"),
        required=False,
        min_value=1,
        max_value=10_000_000,
    )
    planned_n.widget.attrs["inputmode"] = "numeric"

    def has_changed(self) -> bool:
        return any(name not in self.not_content for name in self.changed_data)


ArmFormSet = forms.formset_factory(ArmForm, extra=1, can_delete=True)


def design_initial(content: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The design form's and the arms' initial data from a protocol's content."""
    design = dict(content.get("study_design") or {})
    arms = list(design.pop("arms", []) or [])
    design["sites"] = "\n".join(design.get("sites") or [])
    design["blinded"] = list(design.get("blinded") or [])
    return design, arms


def design_content(form: StudyDesignForm, arms: forms.BaseFormSet[Any]) -> dict[str, Any]:
    """The design for the service from a valid form and arms formset (empty when blank)."""
    data = dict(form.cleaned_data)
    design: dict[str, Any] = {
        "arms": [
            {
                "name": row.cleaned_data["name"],
                "description": row.cleaned_data.get("description") or "",
                "planned_n": row.cleaned_data.get("planned_n"),
            }
            for row in arms.forms
            if row.cleaned_data and not row.cleaned_data.get("DELETE")
        ],
        "randomisation_unit": data.get("randomisation_unit") or None,
        "randomisation_method": data.get("randomisation_method") or "",
        "allocation_ratio": (data.get("allocation_ratio") or "").replace(" ", ""),
        "planned_sample_size": data.get("planned_sample_size"),
        "blinded": list(data.get("blinded") or []),
        "blinding_details": data.get("blinding_details") or "",
        "setting": data.get("setting") or "",
        "sites": [line.strip() for line in (data.get("sites") or "").splitlines() if line.strip()],
    }
    return {key: value for key, value in design.items() if value not in (None, "", [])}


#: Labels of the design's fields, for the diff (in page order).
DESIGN_FIELDS: tuple[tuple[str, str], ...] = (
    ("randomisation_unit", "unit of randomisation"),
    ("randomisation_method", "method of randomisation"),
    ("allocation_ratio", "allocation ratio"),
    ("planned_sample_size", "planned sample size"),
    ("blinded", "who is blinded"),
    ("blinding_details", "how blinding is kept"),
    ("setting", "setting"),
    ("sites", "sites"),
)


def design_field_text(name: str, value: Any) -> str:
    """A design field's value in words, for the diff."""
    if value in (None, "", [], ()):
        return ""
    if name == "randomisation_unit":
        return RANDOMISATION_UNIT_LABELS.get(RandomisationUnit(value), str(value))
    if name == "blinded":
        return ", ".join(MASKED_LABELS.get(Masked(v), str(v)) for v in value)
    if name == "sites":
        return "\n".join(f"{i}. {site}" for i, site in enumerate(value, start=1))
    return str(value)


def arm_text(arm: dict[str, Any] | None) -> str:
    if not arm:
        return ""
    parts = [str(arm.get("description") or "")]
    if arm.get("planned_n"):
        parts.append(f"planned n {arm['planned_n']}")
    return "; ".join(p for p in parts if p) or "(no description)"
