"""Forms of the staff pages (GOV.UK pattern: rendered with core/includes/field.html)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from whatworks.evidence.models import Effectiveness, Intervention, OutcomeRating, Strength
from whatworks.evidence.rules import RulesRating, departure
from whatworks.evidence.services import INTERVENTION_FIELDS
from whatworks.evidence.transfer import FORMATS, KINDS

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class InterventionForm(forms.ModelForm):
    class Meta:
        model = Intervention
        # What the service writes, except the demonstration flag (set by the demo only).
        fields = tuple(f for f in INTERVENTION_FIELDS if f != "is_demo")
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "delivery": forms.Textarea(attrs={"rows": 3}),
            "workforce": forms.Textarea(attrs={"rows": 3}),
            "last_reviewed": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "summary": _("What it is and what it tries to change, in plain English."),
            "last_reviewed": _("The date the evidence was last checked."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_published:
            self.fields["slug"].disabled = True


class RatingForm(forms.Form):
    effectiveness = forms.ChoiceField(
        label=_("Effectiveness: how big the effect is"),
        choices=[("", _("Choose a rating")), *Effectiveness.choices],
    )
    effectiveness_reason = forms.CharField(
        label=_("Why this effectiveness rating (one sentence)"),
        max_length=300,
        widget=forms.TextInput,
    )
    strength = forms.ChoiceField(
        label=_("Strength of evidence: how sure we are"),
        choices=[("", _("Choose a rating")), *Strength.choices],
    )
    strength_reason = forms.CharField(
        label=_("Why this strength-of-evidence rating (one sentence)"),
        max_length=300,
        widget=forms.TextInput,
    )
    departure_reason = forms.CharField(
        label=_("Why the rating departs from the rules"),
        help_text=_(
            "Needed only when your rating differs from what the rules give (shown above). It "
            "is published beside the rating, for example “rated above the rules because ...”."
        ),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label=_("Note for the changelog"),
        help_text=_("Required when a rating changes: say what changed and why."),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        rating: OutcomeRating | None = None,
        rules: RulesRating | None = None,
        **kwargs: Any,
    ) -> None:
        if rating is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "effectiveness": rating.effectiveness,
                "effectiveness_reason": rating.effectiveness_reason,
                "strength": rating.strength,
                "strength_reason": rating.strength_reason,
                "departure_reason": rating.departure_reason,
            }
        elif rules is not None and "initial" not in kwargs:
            # A first rating starts from what the rules give, with their reasons.
            kwargs["initial"] = {
                "effectiveness": rules.effectiveness,
                "effectiveness_reason": rules.effectiveness_why if rules.effectiveness else "",
                "strength": rules.strength,
                "strength_reason": rules.strength_why,
            }
        super().__init__(*args, **kwargs)
        self.rating = rating
        self.rules = rules

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rating = self.rating
        if (
            rating is not None
            and not (data.get("note") or "").strip()
            and (
                data.get("effectiveness", rating.effectiveness) != rating.effectiveness
                or data.get("strength", rating.strength) != rating.strength
            )
        ):
            self.add_error("note", _("Say why the rating changed: a note is required."))
        effectiveness, strength = data.get("effectiveness"), data.get("strength")
        if self.rules is not None and effectiveness and strength:
            away = departure(effectiveness=effectiveness, strength=strength, rules=self.rules)
            if away and not (data.get("departure_reason") or "").strip():
                self.add_error(
                    "departure_reason",
                    _(
                        "Your rating differs from what the rules give: say why, or choose "
                        "what the rules give."
                    ),
                )
        return data


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[(k, k.capitalize()) for k in KINDS],
    )
    fmt = forms.ChoiceField(
        label=_("Format"),
        choices=[(f, f.upper()) for f in FORMATS],
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("UTF-8 CSV with a header row, or a JSON list of objects; at most 5 MB."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
