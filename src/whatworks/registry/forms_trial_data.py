"""Forms of the trial data pages (issue #18)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from whatworks.registry.analysis_plan import COLUMN_PATTERN


class TrialDataForm(forms.Form):
    trial_file = forms.FileField(
        label=_("Trial data (CSV)"),
        help_text=_(
            "One row per randomised participant, with a header row: the identifier column and "
            "every column the registered plan names. Other columns are dropped, not kept."
        ),
        error_messages={"required": _("Choose the trial's CSV file.")},
        widget=forms.ClearableFileInput(attrs={"class": "file-upload", "accept": ".csv"}),
    )
    id_column = forms.RegexField(
        label=_("Identifier column"),
        regex=COLUMN_PATTERN,
        max_length=80,
        help_text=_(
            "The column that identifies each participant. Its values are replaced by keyed "
            "pseudonyms before anything is stored."
        ),
        error_messages={
            "required": _("Enter the column that identifies each participant."),
            "invalid": _("Enter a column name: letters, digits, underscores, dots and hyphens."),
        },
    )


HIGHER_CHOICES = (
    ("higher", _("A higher value is better")),
    ("lower", _("A lower value is better")),
)


class EvidenceLinkForm(forms.Form):
    """The intervention, then per planned outcome its domain and direction."""

    intervention = forms.ChoiceField(
        label=_("Evidence Store intervention this trial evaluates"),
        required=False,
        help_text=_(
            "When results the platform computed are published, their findings are filed under "
            "it and pooled with its other studies. Choose none to send nothing."
        ),
    )

    def __init__(
        self,
        *args: Any,
        interventions: Sequence[tuple[str, str]],
        domains: Sequence[tuple[str, str]],
        outcomes: Sequence[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.outcome_keys = [key for key, _name in outcomes]
        field = self.fields["intervention"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("None")), *list(interventions)]
        for key, name in outcomes:
            self.fields[f"domain__{key}"] = forms.ChoiceField(
                label=_("Outcome domain of “%(name)s”") % {"name": name},
                required=False,
                choices=[("", _("Not in the Evidence Store")), *list(domains)],
            )
            self.fields[f"direction__{key}"] = forms.ChoiceField(
                label=_("Which way is better for “%(name)s”") % {"name": name},
                required=False,
                choices=HIGHER_CHOICES,
                initial="higher",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("intervention") and not any(
            data.get(f"domain__{key}") for key in self.outcome_keys
        ):
            first = f"domain__{self.outcome_keys[0]}" if self.outcome_keys else "intervention"
            self.add_error(first, _("Choose the outcome domain of at least one outcome."))
        return data

    def outcomes(self) -> dict[str, dict[str, Any]]:
        data = self.cleaned_data
        return {
            key: {
                "domain": data.get(f"domain__{key}"),
                "higher_is_better": data.get(f"direction__{key}") != "lower",
            }
            for key in self.outcome_keys
            if data.get(f"domain__{key}")
        }
