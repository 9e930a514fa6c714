"""Questions asked of people, with choices: the one base for calls and events.

Calls ask applicants, events ask registrants.  Each part keeps its own table (its
``Question`` model subclasses :class:`ChoiceQuestion`, an abstract base, so no table
changes) and its own kinds of question; what they share lives here:

- the model fields every question has (label, choices one a line, position) and
  :meth:`ChoiceQuestion.choice_list`;
- :class:`ChoiceQuestionForm`, the staff's form (a choice question needs a choice);
- :func:`question_check` (the service's own check) and :func:`next_position`;
- :func:`answer_field_name` and :func:`choice_field`, for the forms that ask them;
- :func:`questions_page`, :func:`question_edit_page` and :func:`question_delete_page`,
  the staff's three pages (list and add, edit, remove), which the part's views call with
  its own object, services and templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from whatworks.core.errors import WhatworksError, add_to_form, full_clean_or_raise

#: The kind every part's questions share: pick one of the question's choices.
CHOICE = "choice"


class ChoiceQuestion(models.Model):
    """A question's own fields; a part's model adds what it is asked about (the call, the
    event), its kinds (with :data:`CHOICE` among them) and whether it is required."""

    label = models.CharField(gettext_lazy("question"), max_length=300)
    choices = models.TextField(
        gettext_lazy("choices"), blank=True, help_text=gettext_lazy("One choice a line.")
    )
    position = models.PositiveIntegerField(gettext_lazy("position"), default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class _Positioned(Protocol):
    position: int


class _Question(_Positioned, Protocol):
    pk: Any
    kind: str
    label: str

    def choice_list(self) -> list[str]: ...

    def full_clean(self, exclude: Any = ..., validate_unique: bool = ...) -> None: ...


def question_check(question: _Question, error: type[WhatworksError]) -> None:
    """The model's own validation, and a choice question's need of a choice, as ``error``."""
    full_clean_or_raise(question, error)
    if question.kind == CHOICE and not question.choice_list():
        raise error(_("A choice question needs at least one choice."))


def next_position(items: Sequence[_Positioned]) -> int:
    """Where a question (or anything else kept in order) added after ``items`` goes."""
    return (items[-1].position + 1) if items else 1


class ChoiceQuestionForm(forms.ModelForm):  # type: ignore[type-arg]  # each part names its model
    """The staff's form for a question; a part's form names its model and fields."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == CHOICE and not (data.get("choices") or "").strip():
            self.add_error("choices", _("Enter at least one choice, one a line."))
        return data


def answer_field_name(question: _Question) -> str:
    """The name of a question's field in the form that asks it."""
    return f"q_{question.pk}"


def choice_field(question: _Question) -> forms.ChoiceField:
    """A choice question's field: its choices after an empty "—"."""
    return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in question.choice_list())])


# --- the staff's pages -----------------------------------------------------------------


def questions_page(
    request: HttpRequest,
    *,
    questions: Sequence[_Question],
    form_class: type[forms.ModelForm],  # type: ignore[type-arg]
    create: Callable[..., object],
    error: type[WhatworksError],
    template: str,
    context: Mapping[str, Any],
    back: str,
) -> HttpResponse:
    """The list of questions and the form that adds one (``create(**cleaned_data)``)."""
    form = form_class(request.POST or None, initial={"position": next_position(questions)})
    if request.method == "POST" and form.is_valid():
        try:
            create(**form.cleaned_data)
        except error as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request, _("“%(label)s” was added.") % {"label": form.cleaned_data["label"]}
            )
            return redirect(back)
    return render(request, template, {**context, "questions": questions, "form": form})


def question_edit_page(
    request: HttpRequest,
    *,
    question: models.Model,
    form_class: type[forms.ModelForm],  # type: ignore[type-arg]
    update: Callable[..., object],
    error: type[WhatworksError],
    template: str,
    context: Mapping[str, Any],
    back: str,
) -> HttpResponse:
    """Edit one question (``update(**cleaned_data)``)."""
    form = form_class(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        try:
            update(**form.cleaned_data)
        except error as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The question was saved."))
            return redirect(back)
    return render(request, template, {**context, "form": form})


def question_delete_page(
    request: HttpRequest,
    *,
    question: _Question,
    delete: Callable[[], object],
    error: type[WhatworksError],
    back: str,
) -> HttpResponse:
    """Remove one question (``delete()``); back to the list either way."""
    try:
        delete()
    except error as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(label)s” was removed.") % {"label": question.label})
    return redirect(back)
