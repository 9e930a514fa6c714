"""The admin for editors: every save and delete is audited (``AuditedAdmin``) and brings
the intervention's pooled results and search entry up to date.  Ratings are saved through
``rating_set``, so a changed rating needs a note here too."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from whatworks.core.admin import AuditedAdmin
from whatworks.core.http import request_user
from whatworks.evidence.errors import EvidenceError
from whatworks.evidence.models import Finding, Intervention, OutcomeRating, Study
from whatworks.evidence.rules import departure
from whatworks.evidence.selectors import outcome_rules
from whatworks.evidence.services import store
from whatworks.evidence.services.store import FINDING_FIELDS


def _intervention_of(obj: Any) -> Intervention:
    if isinstance(obj, Intervention):
        return obj
    if isinstance(obj, Study):
        return obj.intervention
    if isinstance(obj, Finding):
        return obj.study.intervention
    return cast(Intervention, obj.intervention)


class RefreshingAdmin(AuditedAdmin):
    # Web addresses are https (and Django 6 assumes it): no deprecation warning on the form.
    formfield_overrides = {
        models.URLField: {"form_class": forms.URLField, "assume_scheme": "https"},
    }

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            intervention = _intervention_of(obj)
            store.synthesis_refresh(intervention=intervention)
            store.search_index_refresh(intervention=intervention)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        intervention = None if isinstance(obj, Intervention) else _intervention_of(obj)
        with transaction.atomic():
            super().delete_model(request, obj)
            if intervention is not None:
                store.synthesis_refresh(intervention=intervention)
                store.search_index_refresh(intervention=intervention)


@admin.register(Intervention)
class InterventionAdmin(RefreshingAdmin):
    list_display = ("name", "slug", "status", "cost_band", "last_reviewed")
    list_filter = ("status", "cost_band", "is_demo")
    search_fields = ("name", "slug", "summary")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Study)
class StudyAdmin(RefreshingAdmin):
    list_display = (
        "citation",
        "slug",
        "intervention",
        "year",
        "design",
        "risk_of_bias",
        "registry_ref",
    )
    list_filter = ("design", "risk_of_bias", "is_demo")
    search_fields = ("citation", "slug", "registry_ref")
    autocomplete_fields = ("intervention",)


class FindingAdminForm(forms.ModelForm):
    """Computes the effect size from the raw statistics (entered only for GENERIC)."""

    class Meta:
        model = Finding
        fields = (*FINDING_FIELDS,)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("effect_size", "se"):
            self.fields[name].required = False
            self.fields[name].help_text = "Only for 'as reported' effect sizes; otherwise computed."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        probe = Finding(
            **{k: v for k, v in data.items() if k in {f.name for f in Finding._meta.fields}}
        )
        try:
            store.finding_compute(probe)
        except EvidenceError as error:
            raise forms.ValidationError(error.message) from None
        data["effect_size"], data["se"] = probe.effect_size, probe.se
        self.instance.ci_low, self.instance.ci_high = probe.ci_low, probe.ci_high
        return data


@admin.register(Finding)
class FindingAdmin(RefreshingAdmin):
    form = FindingAdminForm
    list_display = ("slug", "study", "domain", "measure_type", "effect_size", "prespecified")
    list_filter = ("domain", "measure_type", "prespecified")
    search_fields = ("slug", "outcome_measure", "study__citation")
    autocomplete_fields = ("study",)


class RatingAdminForm(forms.ModelForm):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when a rating changes; shown in the public changelog."),
    )

    class Meta:
        model = OutcomeRating
        fields = (
            "intervention",
            "domain",
            "effectiveness",
            "effectiveness_reason",
            "strength",
            "strength_reason",
            "departure_reason",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        before = OutcomeRating.objects.filter(pk=self.instance.pk).first()
        intervention = data.get("intervention") or (before.intervention if before else None)
        domain = data.get("domain") or (before.domain if before else None)
        if intervention and domain and data.get("effectiveness") and data.get("strength"):
            given = outcome_rules(intervention=intervention, domain=domain)
            away = departure(
                effectiveness=data["effectiveness"], strength=data["strength"], rules=given
            )
            if away and not (data.get("departure_reason") or "").strip():
                self.add_error(
                    "departure_reason",
                    gettext(
                        "This rating departs from what the rating rules give "
                        "(%(effectiveness)s, %(strength)s): say why."
                    )
                    % {
                        "effectiveness": given.effectiveness or "no size",
                        "strength": given.strength,
                    },
                )
        changed = before is not None and (
            data.get("effectiveness") != before.effectiveness
            or data.get("strength") != before.strength
        )
        if changed and not (data.get("note") or "").strip():
            self.add_error("note", gettext("Say why the rating changed: a note is required."))
        return data


@admin.register(OutcomeRating)
class OutcomeRatingAdmin(AuditedAdmin):
    form = RatingAdminForm
    audit_saves = False  # rating_set writes the audit entry
    list_display = (
        "intervention",
        "domain",
        "effectiveness",
        "strength",
        "rules_version",
        "rated_at",
    )
    list_filter = ("domain", "effectiveness", "strength", "rules_version")
    autocomplete_fields = ("intervention",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            saved = store.rating_set(
                actor=request_user(request),
                intervention=data.get("intervention", obj.intervention),
                domain=data.get("domain", obj.domain),
                effectiveness=data["effectiveness"],
                effectiveness_reason=data["effectiveness_reason"],
                strength=data["strength"],
                strength_reason=data["strength_reason"],
                note=data.get("note", ""),
                departure_reason=data.get("departure_reason", ""),
            )
        except EvidenceError as error:
            raise forms.ValidationError(error.message) from None
        obj.pk = saved.pk

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("intervention", "domain") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
