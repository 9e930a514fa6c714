"""Forms of the forum: writing a statement, and a moderation decision."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from whatworks.forum.models import STATEMENT_MAX_LENGTH
from whatworks.forum.services import STATEMENT_MIN_LENGTH

VOTE_VALUES = {"agree": 1, "disagree": -1, "pass": 0}
MODERATION_ACTIONS = ("accept", "reject", "meta", "not-meta")


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("Your statement"),
        min_length=STATEMENT_MIN_LENGTH,
        max_length=STATEMENT_MAX_LENGTH,
        help_text=_(
            "One short, clear point that others can agree or disagree with, in up to "
            "%(n)d characters. Do not include anything that identifies a child or family."
        )
        % {"n": STATEMENT_MAX_LENGTH},
        widget=forms.Textarea(attrs={"rows": 4, "class": "textarea"}),
        error_messages={
            "required": _("Enter your statement"),
            "min_length": _("Write a statement of at least %(limit_value)d characters"),
            "max_length": _("Write a statement of at most %(limit_value)d characters"),
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["text"].widget.attrs["aria-describedby"] = "id_text-hint"


class VoteForm(forms.Form):
    statement = forms.IntegerField(min_value=0)
    vote = forms.ChoiceField(choices=[(k, k) for k in VOTE_VALUES])

    def value(self) -> int:
        return VOTE_VALUES[self.cleaned_data["vote"]]


class ModerationForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in MODERATION_ACTIONS])
