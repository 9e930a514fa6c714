"""Forms of the research registry.  They parse input; the services decide."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from whatworks.core.models import Organisation, User
from whatworks.core.roles import Role
from whatworks.registry.models import ProjectStatus, StudyType, Topic
from whatworks.registry.protocol import Combine, Comparison, OutcomeKind

MAX_BUNDLE_BYTES = 1_000_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def parse_links(text: str) -> list[dict[str, str]]:
    links = []
    for line in text.splitlines():
        if not line.strip():
            continue
        label, _sep, url = line.partition("|")
        links.append({"label": label.strip(), "url": url.strip()})
    return links


def links_text(links: list[dict[str, str]]) -> str:
    return "\n".join(f"{link['label']} | {link['url']}" for link in links)


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(
        label=_("Summary"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Two or three sentences in plain English."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[c for c in ProjectStatus.choices if c[0] != ProjectStatus.WITHDRAWN],
        initial=ProjectStatus.SETTING_UP,
    )
    study_type = forms.ChoiceField(label=_("Type of study"), choices=StudyType.choices)
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    partner_sites = forms.ModelMultipleChoiceField(
        label=_("Partner sites"),
        queryset=Organisation.objects.all(),
        required=False,
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
    )
    team = forms.ModelMultipleChoiceField(
        label=_("Team"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Researchers who may edit this project. You are always included."),
    )
    links = forms.CharField(
        label=_("Links"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One a line: a label, a vertical bar, then the address. For example: "
            "Call for partners | /calls/"
        ),
    )
    data_collection_ends = forms.DateField(
        label=_("Data collection ends"), required=False, widget=DateInput()
    )
    results_due = forms.DateField(
        label=_("Results due"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for 12 months after data collection ends."),
    )

    def __init__(
        self, *args: Any, creating: bool = False, has_results: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["status"]  # a new project is always setting up
        else:
            # "Results reported" follows from published results, and only from them.
            status = self.fields["status"]
            assert isinstance(status, forms.ChoiceField)
            status.choices = [
                (value, label)
                for value, label in ProjectStatus.choices
                if value != ProjectStatus.WITHDRAWN
                and (value == ProjectStatus.REPORTED) == has_results
            ]
            status.help_text = (
                _("The results are published, so the status stays “Results reported”.")
                if has_results
                else _("It becomes “Results reported” when an editor publishes the results.")
            )
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelMultipleChoiceField)
        team_field.queryset = (
            User.objects.filter(
                groups__name__in=[Role.RESEARCHER.value, Role.ADMIN.value], is_active=True
            )
            .distinct()
            .order_by("full_name", "email")
        )

    def clean_links(self) -> list[dict[str, str]]:
        return parse_links(self.cleaned_data.get("links") or "")


class ProtocolForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    background = forms.CharField(
        label=_("Background and rationale"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    research_questions = forms.CharField(
        label=_("Research questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One question a line."),
    )
    design = forms.CharField(
        label=_("Design"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    participants_and_sites = forms.CharField(
        label=_("Participants and sites"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    intervention = forms.CharField(
        label=_("Intervention"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    comparison = forms.CharField(
        label=_("Comparison"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    sample_size = forms.CharField(
        label=_("Sample size and minimum detectable effect"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    analysis_plan = forms.CharField(
        label=_("Analysis plan"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    combine = forms.ChoiceField(
        label=_("How the success criteria combine"),
        choices=[
            (Combine.ALL.value, _("Success needs every criterion to be met")),
            (Combine.ANY.value, _("Success needs at least one criterion to be met")),
        ],
    )
    ethics_and_data_protection = forms.CharField(
        label=_("Ethics and data protection"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    timeline = forms.CharField(
        label=_("Timeline"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class _RowForm(forms.Form):
    """One row of a protocol's outcomes or criteria.

    A row left blank is ignored: only what a person types counts as filling it in, not the
    value a select shows by itself nor the remove box.  ``legend`` names the row in
    messages ("Outcome 2"), set by :func:`label_rows`.
    """

    #: Fields that carry no content of their own (a select always shows some option).
    not_content: tuple[str, ...] = ("DELETE",)
    legend = ""
    #: For a saved criterion: how it will be judged, in words (set by the view).
    criterion_explained = ""

    def has_changed(self) -> bool:
        return any(name not in self.not_content for name in self.changed_data)


class OutcomeForm(_RowForm):
    not_content = ("kind", "DELETE")
    key = forms.SlugField(
        label=_("Short key"),
        max_length=60,
        help_text=_("Lower-case letters, digits and hyphens; criteria refer to it."),
    )
    name = forms.CharField(label=_("Outcome"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Primary or secondary"),
        choices=[
            (OutcomeKind.PRIMARY.value, _("Primary")),
            (OutcomeKind.SECONDARY.value, _("Secondary")),
        ],
    )
    measure = forms.CharField(label=_("Measure"), max_length=500)
    time_point = forms.CharField(label=_("Time point"), max_length=200)
    analysis = forms.CharField(label=_("Analysis"), max_length=1000)


class CriterionForm(_RowForm):
    not_content = ("comparison", "DELETE")
    outcome = forms.SlugField(label=_("Outcome key"), max_length=60)
    statistic = forms.CharField(
        label=_("Statistic"),
        max_length=100,
        help_text=_("For example: effect size (Hedges' g), risk ratio, AUC."),
    )
    comparison = forms.ChoiceField(
        label=_("Comparison"),
        choices=[
            (Comparison.AT_LEAST.value, _("at least (≥)")),
            (Comparison.AT_MOST.value, _("at most (≤)")),
            (Comparison.TWO_SIDED.value, _("differs in either direction (two-sided)")),
        ],
    )
    threshold = forms.FloatField(label=_("Threshold"))


OutcomeFormSet = forms.formset_factory(OutcomeForm, extra=1, can_delete=True)
CriterionFormSet = forms.formset_factory(CriterionForm, extra=1, can_delete=True)


def label_rows(formset: forms.BaseFormSet[Any], noun: str) -> None:
    """Name each row ("Outcome 2", "Outcome 3 (new)") for its legend and its messages."""
    for number, row in enumerate(formset.forms, start=1):
        row.legend = f"{noun} {number}" + ("" if row.initial else " (new)")


def row_errors(*formsets: forms.BaseFormSet[Any]) -> dict[str, str]:
    """Every field error of the rows, by field id, each naming its row and field:
    "Outcome 2, Short key: Enter a valid “slug” ..."."""
    errors = {}
    for formset in formsets:
        for row in formset.forms:
            if not row.is_bound or not row.errors:
                continue
            if formset.can_delete and row.cleaned_data.get("DELETE"):
                continue  # a row being removed is not checked
            for name, field_errors in row.errors.items():
                bound = row[name]
                key = bound.id_for_label.removeprefix("id_")
                errors[key] = f"{getattr(row, 'legend', '')}, {bound.label}: {field_errors[0]}"
    return errors


def protocol_initial(
    content: dict[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The form, outcome and criterion initial data from a protocol's content."""
    main = {k: v for k, v in content.items() if k not in ("outcomes", "success_criteria")}
    main["research_questions"] = "\n".join(content.get("research_questions") or [])
    criteria = content.get("success_criteria") or {}
    main["combine"] = criteria.get("combine", Combine.ALL.value)
    return main, list(content.get("outcomes") or []), list(criteria.get("criteria") or [])


def protocol_content(
    form: ProtocolForm, outcomes: forms.BaseFormSet[Any], criteria: forms.BaseFormSet[Any]
) -> dict[str, Any]:
    """Content for the service from three valid forms."""
    data = {k: v for k, v in form.cleaned_data.items() if k != "combine"}
    data["research_questions"] = [
        line.strip() for line in data["research_questions"].splitlines() if line.strip()
    ]

    def rows(formset: forms.BaseFormSet[Any]) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]

    data["outcomes"] = rows(outcomes)
    data["success_criteria"] = {"combine": form.cleaned_data["combine"], "criteria": rows(criteria)}
    return data


class RegisterForm(forms.Form):
    justification = forms.CharField(
        label=_("Why is the protocol being amended?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown beside the amendment on the public register."),
    )
    embargo_until = forms.DateField(
        label=_("Keep hidden until (optional)"),
        required=False,
        widget=DateInput(),
        help_text=_("Between 2 days and 4 years from today. It becomes public by itself then."),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the project's public tombstone."),
    )
    keep_results = forms.BooleanField(
        label=_("I understand that the published results stay public on the tombstone"),
        required=True,
        error_messages={
            "required": _(
                "Confirm that you understand the published results stay public on the tombstone."
            )
        },
    )

    def __init__(self, *args: Any, has_results: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_results:
            del self.fields["keep_results"]


class BundleForm(forms.Form):
    bundle = forms.CharField(
        label=_("Result bundle (JSON)"),
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_("The format is described in the results bundle documentation."),
    )

    def clean_bundle(self) -> Any:
        text = self.cleaned_data["bundle"]
        if len(text.encode("utf-8")) > MAX_BUNDLE_BYTES:
            raise ValidationError(_("A result bundle can be at most 1 MB."))
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("This is not valid JSON (line %(line)s, column %(col)s: %(msg)s)."),
                params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            ) from None


class ResultsEntryForm(forms.Form):
    """The report as a whole; each outcome has its own row form below."""

    summary = forms.CharField(
        label=_("Summary of the findings"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was found, in two or three sentences of plain English."),
    )
    data_collection_ended = forms.DateField(
        label=_("Data collection ended (optional)"), required=False, widget=DateInput()
    )


class ResultRowForm(forms.Form):
    """One outcome's result.  ``label`` names the row in messages (set by the view)."""

    statistic = forms.CharField(
        label=_("Statistic"),
        required=False,
        max_length=100,
        help_text=_("What the estimate is, for example “risk difference” or “Hedges' g”."),
    )
    estimate = forms.FloatField(label=_("Estimate"), required=False)
    lower = forms.FloatField(label=_("Interval: lower end"), required=False)
    upper = forms.FloatField(label=_("Interval: upper end"), required=False)
    n = forms.IntegerField(
        label=_("n (optional)"),
        required=False,
        min_value=1,
        help_text=_("How many the estimate rests on."),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    not_reported = forms.BooleanField(label=_("Not reported"), required=False)

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label
        #: The row's problems as a whole (set by the view), shown beside the row.
        self.problems: list[str] = []
        for field in self.fields.values():
            if isinstance(field, forms.FloatField):
                field.error_messages["invalid"] = _(
                    "%(label)s: enter a number, such as -0.12 or 3.5."
                ) % {"label": label}
                field.widget = forms.TextInput(attrs={"inputmode": "decimal"})
        n_field = self.fields["n"]
        n_field.error_messages["invalid"] = _(
            "%(label)s: n must be a whole number, such as 120."
        ) % {"label": label}
        # Django formats this message with the limit: keep a "%" in the label literal.
        n_field.error_messages["min_value"] = _("%(label)s: n must be at least 1.") % {
            "label": label.replace("%", "%%")
        }


class ExtraRowForm(ResultRowForm):
    """A result for an outcome the protocol did not name (flagged as not pre-registered)."""

    outcome = forms.CharField(
        label=_("Outcome key"),
        required=False,
        max_length=60,
        help_text=_("Lower-case letters, digits and hyphens, for example “time-to-plan”."),
    )
    field_order = ["outcome"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["not_reported"]


class CorrectionForm(forms.Form):
    justification = forms.CharField(
        label=_("Why do the results need correcting?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown beside the correction and the results it supersedes."),
    )


class TeamAddForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the researcher to add"),
        help_text=_("They need an account with the researcher role."),
    )


class RequestForm(forms.Form):
    """The team asks editors to publish or withdraw the project."""

    reason = forms.CharField(
        label=_("Why?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        if kind == "withdraw":
            reason.label = _("Reason for withdrawal")
            reason.required = True
            reason.help_text = _("Shown on the project's public tombstone if an editor agrees.")
        else:
            reason.label = _("Anything the editors should know (optional)")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for your decision"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The team reads it by e-mail and on the project's page."),
    )
    keep_results = forms.BooleanField(
        label=_("I understand that the published results stay public on the tombstone"),
        required=False,
    )

    def __init__(self, *args: Any, has_results: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_results:
            del self.fields["keep_results"]
