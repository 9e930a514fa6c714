"""Forms of the staff pages (GOV.UK pattern: rendered with core/includes/field.html)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from whatworks.evidence.errors import EvidenceError
from whatworks.evidence.models import (
    Effectiveness,
    Finding,
    Intervention,
    OutcomeRating,
    Strength,
    Study,
)
from whatworks.evidence.rules import RulesRating, departure
from whatworks.evidence.services.store import (
    FINDING_FIELDS,
    INTERVENTION_FIELDS,
    STUDY_FIELDS,
    finding_compute,
)
from whatworks.evidence.services.transfer import FORMATS, KINDS

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _https_urls(field: Any, **kwargs: Any) -> Any:
    """Model form fields, with web addresses typed without a scheme taken as https."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class InterventionForm(forms.ModelForm):
    class Meta:
        model = Intervention
        formfield_callback = _https_urls
        # What the service writes, except the demonstration flag (set by the demo only).
        fields = tuple(f for f in INTERVENTION_FIELDS if f != "is_demo")
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "delivery": forms.Textarea(attrs={"rows": 3}),
            "workforce": forms.Textarea(attrs={"rows": 3}),
            "training": forms.Textarea(attrs={"rows": 3}),
            "fidelity": forms.Textarea(attrs={"rows": 3}),
            "licensing": forms.Textarea(attrs={"rows": 3}),
            "availability_england": forms.Textarea(attrs={"rows": 3}),
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


class StudyForm(forms.ModelForm):
    class Meta:
        model = Study
        formfield_callback = _https_urls
        fields = tuple(f for f in STUDY_FIELDS if f != "is_demo")
        widgets = {"citation": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "citation": _("Authors, year, title and where it was published, as in a reference."),
            "sample_size": _("Children or families in the analysis, both groups together."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["intervention"]
        assert isinstance(choice, forms.ModelChoiceField)
        choice.queryset = Intervention.objects.order_by("name")
        if self.instance.pk and self.instance.intervention.is_published:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("Published studies keep their stable id.")


class FindingForm(forms.ModelForm):
    """A finding's raw statistics; the effect size and its interval are computed from them
    (for "as reported", the effect size and standard error are what is typed)."""

    class Meta:
        model = Finding
        fields = tuple(f for f in FINDING_FIELDS if f != "study")
        help_texts = {
            "measure_type": _(
                "Standardised mean difference: fill in the means and SDs. Risk or odds "
                "ratio: fill in the events. As reported: the effect size and standard error."
            ),
            "effect_size": _("Only for “as reported”; otherwise computed from the statistics."),
            "se": _("Only for “as reported”; otherwise computed from the statistics."),
        }

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.study = study
        self.fields["effect_size"].required = False
        self.fields["se"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        trial = Finding(study=self.study, **{k: v for k, v in data.items() if k != "slug"})
        try:
            finding_compute(trial)
        except EvidenceError as error:
            for part in error.message.split("; "):
                name, sep, text = part.partition(": ")
                if sep and name in self.fields:
                    self.add_error(name, text)
                else:
                    self.add_error(None, part)
            return data
        data.update(effect_size=trial.effect_size, se=trial.se)
        return data


class RisImportForm(forms.Form):
    """A RIS file on the first step; its text again (hidden) when the preview is saved."""

    intervention = forms.ModelChoiceField(
        label=_("Intervention for new studies"),
        help_text=_("Records that match no study get a link to add them to this intervention."),
        queryset=Intervention.objects.order_by("name"),
        empty_label=_("Choose an intervention"),
    )
    file = forms.FileField(
        label=_("RIS file"),
        help_text=_("Exported from your reference manager (EndNote, Zotero, Mendeley) as .ris."),
        required=False,
    )
    text = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                self.add_error("file", _("The file is larger than 5 MB: split it."))
                return data
            raw = upload.read()
            try:
                data["text"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("The file is not UTF-8 text: export it again as RIS."))
                return data
        elif not data.get("text"):
            self.add_error("file", _("Choose a RIS file."))
        return data
