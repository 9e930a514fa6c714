"""Forms of the forum: writing a statement, a moderation decision, and setting up or
editing a conversation (the staff pages)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from whatworks.core import extensions
from whatworks.core.errors import add_to_form
from whatworks.forum.errors import ConversationInvalidError
from whatworks.forum.models import STATEMENT_MAX_LENGTH, Conversation, Statement
from whatworks.forum.services.conversations import (
    CONVERSATION_EDITABLE,
    conversation_problems,
    seed_statement_lines,
)
from whatworks.forum.services.statements import STATEMENT_MIN_LENGTH

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


class VerifyForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send a link to it. We keep no copy of the address."),
        error_messages={
            "required": _("Enter your e-mail address"),
            "invalid": _("Enter an e-mail address like name@example.org"),
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["email"].widget.attrs.update(
            {"aria-describedby": "id_email-hint", "autocomplete": "email"}
        )


class VoteForm(forms.Form):
    statement = forms.IntegerField(min_value=0)
    vote = forms.ChoiceField(choices=[(k, k) for k in VOTE_VALUES])

    def value(self) -> int:
        return VOTE_VALUES[self.cleaned_data["vote"]]


class ModerationForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in MODERATION_ACTIONS])


#: The dates as typed on the staff pages (the site's time zone, Europe/London).
DATETIME_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]


def event_choices(current: str = "") -> list[tuple[str, str]]:
    """Published events, latest first, for the optional link.

    Asked through the core's ``event_choices`` extension point, which the events part
    fills, so that the forum still does not depend on the events part (the conversation
    keeps a plain slug); without it, no choices.
    """
    choices: list[tuple[str, str]] = [("", str(_("No event")))]
    for events in extensions.event_choices.collect(lambda _registration, rows: list(rows)):
        for slug, title, starts_at in events:
            label = f"{title} ({date_format(timezone.localtime(starts_at), 'j F Y')})"
            choices.append((slug, label))
    if current and current not in {slug for slug, _label in choices}:
        choices.append((current, str(_("%(slug)s (not a published event)")) % {"slug": current}))
    return choices


class ConversationForm(forms.Form):
    """Setting up (``conversation=None``) or editing a conversation.

    Every problem is shown at once: after the fields are read, ``clean`` asks the service
    for the rules' problems (dates in order, what may no longer change once people have
    voted, the opening statements' length and near-duplicate checks) on what could be read.
    """

    question = forms.CharField(
        label=_("Question"),
        max_length=300,
        help_text=_("The question people are asked, as they will see it."),
    )
    slug = forms.SlugField(
        label=_("Short name for the address"),
        max_length=80,
        required=False,
        help_text=_(
            "Letters, numbers and hyphens, as in /forum/short-name/. Leave empty to make one "
            "from the question. Fixed once the conversation opens, because links are shared."
        ),
    )
    background = forms.CharField(
        label=_("Background (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "textarea"}),
        help_text=_("What participants should know before they vote. It can be edited later."),
    )
    moderation = forms.ChoiceField(
        label=_("Moderation"),
        choices=Conversation.Moderation.choices,
        initial=Conversation.Moderation.BEFORE,
        help_text=_(
            "Once people have voted, moderation can only become stricter (shown after a "
            "moderator accepts them), and only when no statement is waiting, so that nothing "
            "people voted on disappears; it can never be relaxed, because earlier voters were "
            "told every statement was checked first."
        ),
    )
    opens_at = forms.DateTimeField(
        label=_("Opens at"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(format="%Y-%m-%d %H:%M"),
        help_text=_(
            "Date and time (UK time), for example 2026-12-01 09:00. Until then only "
            "moderators see the conversation. Fixed once it has opened."
        ),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at (optional)"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(format="%Y-%m-%d %H:%M"),
        help_text=_(
            "After the opening date. Empty: open until closed by hand. Once closed the "
            "conversation is read-only and its report stays public."
        ),
    )
    allow_anonymous = forms.BooleanField(
        label=_("People who are not signed in may take part"),
        required=False,
        initial=True,
        help_text=_(
            "They vote and write with a random per-browser id. Fixed once people have voted: "
            "changing it would change whom the results speak for."
        ),
    )
    anonymous_must_verify = forms.BooleanField(
        label=_("People who are not signed in must confirm an e-mail address"),
        required=False,
        initial=False,
        help_text=_(
            "They get a link by e-mail before they vote or write; one address is one "
            "participant, so clearing cookies gives nobody a second vote. Once people have "
            "voted it can be switched on but not off."
        ),
    )
    allow_statements = forms.BooleanField(
        label=_("Participants may write statements"),
        required=False,
        initial=True,
        help_text=_("Can be switched off at any time; statements already written stay."),
    )
    event_slug = forms.ChoiceField(
        label=_("Linked event (optional)"),
        required=False,
        help_text=_("An in-person event the conversation runs before and after."),
    )
    seed_statements = forms.CharField(
        label=_("Opening statements"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "textarea"}),
        help_text=_(
            "One per line, each between %(min)d and %(max)d characters, none nearly the same "
            "as another. They are shown as accepted so that the first participants have "
            "something to vote on."
        )
        % {"min": STATEMENT_MIN_LENGTH, "max": STATEMENT_MAX_LENGTH},
    )

    def __init__(self, *args: Any, conversation: Conversation | None = None, **kwargs: Any) -> None:
        self.conversation = conversation
        if conversation is not None:
            kwargs.setdefault(
                "initial",
                {
                    name: getattr(conversation, name)
                    for name in CONVERSATION_EDITABLE
                    if name not in ("opens_at", "closes_at")
                }
                | {
                    "opens_at": timezone.localtime(conversation.opens_at),
                    "closes_at": timezone.localtime(conversation.closes_at)
                    if conversation.closes_at
                    else None,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["event_slug"].choices = event_choices(  # type: ignore[attr-defined]
            conversation.event_slug if conversation is not None else ""
        )
        if conversation is not None:
            del self.fields["seed_statements"]
            self.fields["slug"].required = True
            # what the rules fix is shown fixed (the services check it again)
            fixed = []
            if conversation.has_opened():
                fixed += ["slug", "opens_at"]
            if conversation.votes.exists():
                fixed += ["question", "allow_anonymous"]
            for name in fixed:
                self.fields[name].disabled = True

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data.get("slug", "")
        if not slug and self.conversation is None:
            slug = slugify(self.cleaned_data.get("question", ""))[:80].strip("-")
        return slug

    def _unchanged_minute(self, name: str) -> Any:
        """A date that matches the stored one as the form shows it keeps its precision."""
        value = self.cleaned_data.get(name)
        stored = getattr(self.conversation, name, None)
        if stored is not None and value in (
            stored.replace(second=0, microsecond=0),
            stored.replace(microsecond=0),
        ):
            return stored  # as shown: without seconds when typed, without microseconds
        return value

    def clean_opens_at(self) -> Any:
        return self._unchanged_minute("opens_at")

    def clean_closes_at(self) -> Any:
        return self._unchanged_minute("closes_at")

    def clean_seed_statements(self) -> list[str]:
        return seed_statement_lines(self.cleaned_data.get("seed_statements", ""))

    def values(self) -> dict[str, Any]:
        """The conversation's fields as the services take them."""
        return {name: self.cleaned_data[name] for name in CONVERSATION_EDITABLE}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.conversation is None and not data.get("slug") and "slug" not in self.errors:
            self.add_error("slug", _("Enter a short name for the address"))
        readable = [n for n in CONVERSATION_EDITABLE if n in data and n not in self.errors]
        candidate = Conversation(**{n: data[n] for n in readable})
        before = self.conversation
        if before is not None:
            candidate.pk = before.pk
        problems = conversation_problems(
            conversation=candidate,
            before=before,
            has_votes=before is not None and before.votes.exists(),
            pending=before.statements.filter(status=Statement.Status.PENDING).count()
            if before
            else 0,
            seed_statements=data.get("seed_statements") or (),
            fields=readable,
        )
        if problems:  # each under its field, under the whole form if it has none here
            add_to_form(self, ConversationInvalidError(problems))
        return data


class PolisImportForm(forms.Form):
    """A Pol.is open-data export to import: its ZIP, or its comments.csv and votes.csv."""

    slug = forms.SlugField(
        label=_("Short name for the address"),
        max_length=80,
        help_text=_("Letters, numbers and hyphens, as in /forum/short-name/."),
    )
    archive = forms.FileField(
        label=_("The export's ZIP (optional)"),
        required=False,
        help_text=_("The folder Pol.is exports, zipped: comments.csv and votes.csv, and "
                    "summary.csv and participants-votes.csv if it has them."),
    )  # fmt: skip
    comments = forms.FileField(label=_("Or its comments.csv (optional)"), required=False)
    votes = forms.FileField(label=_("And its votes.csv (optional)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_zip = bool(data.get("archive"))
        has_csv = bool(data.get("comments")) or bool(data.get("votes"))
        if has_zip and has_csv:
            raise forms.ValidationError(_("Choose the ZIP or the two CSV files, not both."))
        if not has_zip and not (data.get("comments") and data.get("votes")):
            if has_csv:
                missing = "votes" if data.get("comments") else "comments"
                self.add_error(missing, _("Choose this file too, or the export's ZIP instead."))
            else:
                raise forms.ValidationError(
                    _("Choose the export's ZIP, or both its comments.csv and votes.csv.")
                )
        return data


class EmbedForm(forms.Form):
    origins = forms.CharField(
        label=_("Sites that may embed the conversation (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "textarea"}),
        help_text=_("One per line, like https://partner.org.uk. Leave empty so that no other "
                    "site can show it in a frame."),
    )  # fmt: skip
