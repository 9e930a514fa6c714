"""The application form (built from the call's questions), scoring and decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from whatworks.calls.models import Application, Call, Criterion, Question
from whatworks.core.forms import show_as_required


def field_name(question: Question) -> str:
    return f"q_{question.pk}"


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput | forms.FileInput):
            continue
        widget.attrs.setdefault("class", "input")


class ApplicationForm(forms.Form):
    """Every field is optional here: a draft may be partial; the service checks on submit."""

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(call.questions.all())
        for question in self.questions:
            field: forms.Field
            if question.kind == Question.Kind.LONG_TEXT:
                field = forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))
            elif question.kind == Question.Kind.NUMBER:
                field = forms.DecimalField(max_digits=14, decimal_places=2)
            elif question.kind == Question.Kind.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "—"), *((c, c) for c in question.choice_list())]
                )
            elif question.kind == Question.Kind.YES_NO:
                field = forms.ChoiceField(choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
            elif question.kind == Question.Kind.FILE:
                field = forms.FileField()
            else:
                field = forms.CharField(max_length=500)
            field.label = question.label + ("" if question.required else " (optional)")
            field.help_text = question.hint
            field.required = False
            show_as_required(field, question.required)
            self.fields[field_name(question)] = field
        _style(self)

    def answers(self) -> dict[str, str]:
        result = {}
        for question in self.questions:
            if question.kind == Question.Kind.FILE:
                continue
            value = self.cleaned_data.get(field_name(question))
            result[str(question.pk)] = "" if value is None else str(value)
        return result

    def files_by_question(self) -> dict[int, UploadedFile]:
        return {
            q.pk: self.cleaned_data[field_name(q)]
            for q in self.questions
            if q.kind == Question.Kind.FILE and self.cleaned_data.get(field_name(q))
        }


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"c_{criterion.pk}"] = forms.IntegerField(
                label=gettext("%(label)s (0 to %(max_score)s)")
                % {"label": criterion.label, "max_score": criterion.max_score},
                help_text=criterion.description,
                min_value=0,
                max_value=criterion.max_score,
            )
        self.order_fields([f"c_{c.pk}" for c in criteria])
        _style(self)

    def scores(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"c_{c.pk}"] for c in self.criteria}


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Application.Status.SHORTLISTED, _("Shortlist")),
            (Application.Status.ACCEPTED, _("Accept")),
            (Application.Status.DECLINED, _("Decline")),
        ]
    )
