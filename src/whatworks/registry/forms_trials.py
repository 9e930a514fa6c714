"""Forms of a trial's analysis plan and of the power calculation (issue #18).

They parse input; the plan's own model (``analysis_plan.py``) and the services decide.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from whatworks.registry.analysis_plan import (
    COLUMN_PATTERN,
    LABELS,
    Design,
    EffectSizeKind,
    OutcomeType,
    SeType,
    Sidedness,
)
from whatworks.registry.forms import _RowForm

__all__ = [
    "PlannedOutcomeFormSet",
    "PowerForm",
    "TrialPlanForm",
    "plan_from_forms",
    "plan_initial",
]

_COLUMN_HELP = _("The column's name in the data, such as wellbeing_6m.")


def _choices(enum: type[Any]) -> list[tuple[str, str]]:
    return [(member.value, LABELS[member]) for member in enum]


class ColumnField(forms.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": _(
                    "Use the column's name: letters, digits, underscores, dots or hyphens, "
                    "starting with a letter or underscore."
                )
            },
        )
        super().__init__(COLUMN_PATTERN, **kwargs)


class TrialPlanForm(forms.Form):
    design = forms.ChoiceField(label=_("Design"), choices=_choices(Design))
    arm_variable = ColumnField(
        label=_("Arm column"), help_text=_("The column that holds each participant's arm.")
    )
    treatment = forms.CharField(
        label=_("Treatment value"), max_length=80, help_text=_("As written in the arm column.")
    )
    control = forms.CharField(
        label=_("Control value"), max_length=80, help_text=_("As written in the arm column.")
    )
    cluster_variable = ColumnField(
        label=_("Cluster column"),
        required=False,
        help_text=_("The unit randomised in a cluster trial, such as the team or the school."),
    )
    block_variable = ColumnField(
        label=_("Block column"),
        required=False,
        help_text=_("The blocks or strata randomised within, if any (analysed as fixed effects)."),
    )


class PlannedOutcomeForm(_RowForm):
    not_content = ("outcome", "type", "sidedness", "effect_size", "alpha", "DELETE")
    outcome = forms.ChoiceField(label=_("Protocol outcome"), choices=())
    variable = ColumnField(label=_("Outcome column"), help_text=_COLUMN_HELP)
    type = forms.ChoiceField(label=_("Type of outcome"), choices=_choices(OutcomeType))
    covariates = forms.CharField(
        label=_("Covariates"),
        required=False,
        max_length=500,
        help_text=_("Column names separated by commas, such as the baseline measure."),
    )
    alpha = forms.FloatField(
        label=_("Alpha (significance level)"),
        initial=0.05,
        min_value=0.001,
        max_value=0.2,
    )
    sidedness = forms.ChoiceField(label=_("Sidedness"), choices=_choices(Sidedness))
    effect_size = forms.ChoiceField(
        label=_("Effect size to report"), choices=_choices(EffectSizeKind)
    )

    def __init__(self, *args: Any, outcomes: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["outcome"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = outcomes or []

    def clean_covariates(self) -> list[str]:
        text: str = self.cleaned_data.get("covariates") or ""
        names = [part.strip() for part in text.split(",") if part.strip()]
        bad = [name for name in names if not re.match(COLUMN_PATTERN, name)]
        if bad:
            raise forms.ValidationError(
                _("These are not column names: %(names)s. Separate column names with commas.")
                % {"names": ", ".join(bad)}
            )
        return names


PlannedOutcomeFormSet = forms.formset_factory(PlannedOutcomeForm, extra=1, can_delete=True)


def plan_initial(plan: dict[str, Any] | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The plan form's and the rows' initial data from a stored plan."""
    if not plan:
        return {}, []
    outcomes = list(plan.get("outcomes") or [])
    first = outcomes[0] if outcomes else {}
    main = {"design": plan.get("design")}
    for name in ("arm_variable", "treatment", "control", "cluster_variable", "block_variable"):
        main[name] = first.get(name) or ""
    rows = [
        {
            "outcome": o.get("outcome"),
            "variable": o.get("variable"),
            "type": o.get("type"),
            "covariates": ", ".join(o.get("covariates") or []),
            "alpha": o.get("alpha"),
            "sidedness": o.get("sidedness"),
            "effect_size": o.get("effect_size"),
        }
        for o in outcomes
    ]
    return main, rows


def plan_from_forms(form: TrialPlanForm, rows: forms.BaseFormSet[Any]) -> dict[str, Any]:
    """The plan for the service from valid forms; the SE type follows from the clusters."""
    main = form.cleaned_data
    cluster = main.get("cluster_variable") or None
    block = main.get("block_variable") or None
    outcomes = []
    for row in rows.forms:
        data = row.cleaned_data
        if not data or data.get("DELETE"):
            continue
        outcomes.append(
            {
                "outcome": data["outcome"],
                "variable": data["variable"],
                "type": data["type"],
                "arm_variable": main["arm_variable"],
                "treatment": main["treatment"],
                "control": main["control"],
                "covariates": data["covariates"],
                "cluster_variable": cluster,
                "block_variable": block,
                "se_type": (SeType.CR2 if cluster else SeType.HC2).value,
                "alpha": data["alpha"],
                "sidedness": data["sidedness"],
                "effect_size": data["effect_size"],
            }
        )
    return {"design": main["design"], "estimand": "itt", "outcomes": outcomes}


class PowerForm(forms.Form):
    """The power calculation: what it needs depends on the question (checked in ``clean``)."""

    QUESTIONS = (
        ("n_per_arm", _("Individually randomised: the sample per arm for an effect")),
        ("power", _("Individually randomised: the power of a sample")),
        ("mdes", _("Cluster randomised: the minimum detectable effect")),
    )
    question = forms.ChoiceField(label=_("What do you want to know?"), choices=QUESTIONS)
    alpha = forms.FloatField(
        label=_("Alpha (significance level)"), initial=0.05, min_value=0.001, max_value=0.2
    )
    sides = forms.TypedChoiceField(
        label=_("Test"),
        choices=[(2, _("Two-sided (an effect either way)")), (1, _("One-sided (one way only)"))],
        coerce=int,
        initial=2,
    )
    power = forms.FloatField(
        label=_("Power wanted"),
        required=False,
        min_value=0.5,
        max_value=0.99,
        help_text=_("For the sample per arm and the minimum detectable effect, such as 0.8."),
    )
    effect = forms.FloatField(
        label=_("Standardised effect (SD units)"),
        required=False,
        min_value=0.01,
        max_value=3,
        help_text=_("Individually randomised trials: the effect to detect, such as 0.2."),
    )
    n_per_arm = forms.IntegerField(
        label=_("Participants per arm"), required=False, min_value=2, max_value=10_000_000
    )
    clusters = forms.IntegerField(
        label=_("Number of clusters"), required=False, min_value=3, max_value=100_000
    )
    cluster_size = forms.FloatField(
        label=_("Participants per cluster"), required=False, min_value=1, max_value=1_000_000
    )
    icc = forms.FloatField(
        label=_("Intra-cluster correlation"), required=False, min_value=0, max_value=1
    )
    p_treated = forms.FloatField(
        label=_("Share of clusters treated"),
        required=False,
        min_value=0.05,
        max_value=0.95,
        help_text=_("0.5 when half the clusters get the intervention."),
    )
    r2 = forms.FloatField(
        label=_("Cluster-level covariate R²"),
        required=False,
        min_value=0,
        max_value=0.99,
        help_text=_(
            "The share of between-cluster variance a baseline measure explains; 0 if none."
        ),
    )

    NEEDS = {
        "n_per_arm": ("power", "effect"),
        "power": ("n_per_arm", "effect"),
        "mdes": ("power", "clusters", "cluster_size", "icc"),
    }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        question = data.get("question")
        for name in self.NEEDS.get(str(question), ()):
            if data.get(name) is None and name not in self.errors:
                self.add_error(
                    name,
                    _("Enter the %(field)s: this question needs it.")
                    % {"field": str(self.fields[name].label).lower()},
                )
        return data
