"""The registration form: name, e-mail and the event's own questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from whatworks.events.models import Event, Question


def question_field_name(question: Question) -> str:
    return f"q_{question.pk}"


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send your confirmation and the calendar file here."),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(event.questions.all())
        for question in self.questions:
            field: forms.Field
            if question.kind == Question.Kind.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "—"), *((c, c) for c in question.choice_list())],
                )
            else:
                field = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
            field.label = question.label
            field.required = question.required
            if question.kind == Question.Kind.ACCESS:
                field.help_text = _("Tell us what would help you take part fully.")
            elif question.kind == Question.Kind.DIETARY:
                field.help_text = _("For example vegetarian, halal, or a food allergy.")
            self.fields[question_field_name(question)] = field
        for field in self.fields.values():
            css = "input" if not isinstance(field.widget, forms.Select) else "select"
            field.widget.attrs.setdefault("class", css)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def answers(self) -> dict[str, str]:
        return {
            str(question.pk): self.cleaned_data.get(question_field_name(question)) or ""
            for question in self.questions
        }


class CheckInSearchForm(forms.Form):
    q = forms.CharField(label=_("Find by name or e-mail"), required=False, max_length=200)
