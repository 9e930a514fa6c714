"""Forms: registration (name, e-mail and the event's own questions), the attendee's own
answers, and the staff pages (events, questions, attendees, messages, the door)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from whatworks.core.questions import ChoiceQuestionForm, answer_field_name, choice_field
from whatworks.events.models import Event, Question, Registration

#: Paths under /events/ that are not events: an event may not take them as its slug.
RESERVED_SLUGS = frozenset({"past", "staff", "registration", "calendar-ics"})


def _question_field(question: Question) -> forms.Field:
    field: forms.Field
    if question.kind == Question.Kind.CHOICE:
        field = choice_field(question)
    else:
        field = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    field.label = question.label
    field.required = question.required
    if question.kind == Question.Kind.ACCESS:
        field.help_text = _("Tell us what would help you take part fully.")
    elif question.kind == Question.Kind.DIETARY:
        field.help_text = _("For example vegetarian, halal, or a food allergy.")
    return field


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput | forms.RadioSelect):
            continue
        css = "select" if isinstance(field.widget, forms.Select) else "input"
        field.widget.attrs.setdefault("class", css)


class QuestionsMixin:
    """Adds one field per question of the event; ``answers()`` keys them by question id."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_questions(self, event: Event) -> None:
        self.questions = list(event.questions.all())
        for question in self.questions:
            self.fields[answer_field_name(question)] = _question_field(question)

    def answers(self) -> dict[str, str]:
        return {
            str(question.pk): self.cleaned_data.get(answer_field_name(question)) or ""
            for question in self.questions
        }


class RegistrationForm(QuestionsMixin, forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send your confirmation and the calendar file here."),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_questions(event)
        _style(self)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class AnswersForm(QuestionsMixin, forms.Form):
    """The attendee's own answers, filled in with what they gave."""

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_questions(registration.event)
        for question in self.questions:
            name = answer_field_name(question)
            self.initial.setdefault(name, registration.answers.get(str(question.pk), ""))
        _style(self)


class CheckInSearchForm(forms.Form):
    q = forms.CharField(label=_("Find by name or e-mail"), required=False, max_length=200)


# --- staff ---------------------------------------------------------------------------

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EventForm(forms.ModelForm):
    online_url = forms.URLField(
        label=_("Online joining link"),
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text=_("Sent only to people with a confirmed place."),
    )

    class Meta:
        model = Event
        fields = (
            "title",
            "slug",
            "kind",
            "summary",
            "agenda",
            "accessibility",
            "starts_at",
            "ends_at",
            "time_zone",
            "mode",
            "venue",
            "online_url",
            "capacity",
            "registration_opens_at",
            "registration_closes_at",
            "offer_hours",
            "cpd_hours",
            "project_ref",
        )
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "agenda": forms.Textarea(attrs={"rows": 5}),
            "accessibility": forms.Textarea(attrs={"rows": 3}),
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "registration_opens_at": DATETIME,
            "registration_closes_at": DATETIME,
        }
        labels = {"slug": _("Web address name")}
        help_texts = {
            "slug": _("Lower-case letters, numbers and hyphens, e.g. iuseevidence-day-leeds."),
            "starts_at": _("UK time (Europe/London), as are the other dates and times."),
            "summary": _("One or two sentences: who it is for and what they will get."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            field = self.fields[name]
            assert isinstance(field, forms.DateTimeField)
            field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        _style(self)

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                _("“%(slug)s” is used by the site: choose another."), params={"slug": slug}
            )
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode, venue, url = data.get("mode"), data.get("venue"), data.get("online_url")
        if mode == Event.Mode.IN_PERSON and not venue:
            self.add_error("venue", _("Enter the venue of an event in person."))
        if mode in (Event.Mode.ONLINE, Event.Mode.HYBRID) and not url:
            self.add_error("online_url", _("Enter the joining link of an online event."))
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The event must end after it starts."))
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes_at", _("Registration must close after it opens."))
        if closes and ends and closes > ends:
            self.add_error(
                "registration_closes_at", _("Registration must close before the event ends.")
            )
        return data


class QuestionForm(ChoiceQuestionForm):
    class Meta:
        model = Question
        fields = ("label", "kind", "choices", "required", "position")
        widgets = {"choices": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "kind": _("Access and dietary needs are asked with a hint of what to tell us."),
            "choices": _("For a choice question only: one choice a line."),
            "position": _("Questions are asked in this order, lowest first."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class CancelEventForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is cancelled"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Goes in the e-mail to everyone registered, e.g. what happens next."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class AttendeeAddForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"))
    status = forms.ChoiceField(
        label=_("Add them"),
        choices=[
            (Registration.Status.CONFIRMED, _("With a confirmed place")),
            (Registration.Status.WAITING, _("To the end of the waiting list")),
        ],
        widget=forms.RadioSelect,
        initial=Registration.Status.CONFIRMED,
    )
    notify = forms.BooleanField(
        label=_("E-mail them their confirmation (with their ticket and calendar file)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class MessageForm(forms.Form):
    RECIPIENTS = [
        ("confirmed", _("Everyone with a confirmed place")),
        ("waiting", _("Everyone on the waiting list")),
        ("not-checked-in", _("Confirmed, not checked in yet")),
        ("checked-in", _("Everyone checked in")),
        ("chosen", _("Only the people chosen on the attendee list")),
    ]
    recipients = forms.ChoiceField(label=_("Send to"), choices=RECIPIENTS, widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(
        label=_("Message"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text. Each person's e-mail ends with the link to their registration."),
    )

    def __init__(self, *args: Any, chosen: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not chosen:
            field = self.fields["recipients"]
            field.choices = [c for c in field.choices if c[0] != "chosen"]  # type: ignore[attr-defined]
        _style(self)


class WalkInForm(forms.Form):
    prefix = "walk_in"
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("For their calendar file and certificate of attendance."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class TicketForm(forms.Form):
    code = forms.CharField(
        label=_("Ticket code"),
        max_length=500,
        help_text=_("Scan the QR code, or type the code printed under it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
        self.fields["code"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "off"})


class FeedbackSurveyForm(forms.Form):
    """Which ready-made set of questions the feedback survey starts from (``core.surveys``)."""

    template = forms.ChoiceField(
        label=_("Questions"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the questions the survey asks.")},
    )

    def __init__(self, *args: Any, templates: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(t.key, f"{t.label}: {'; '.join(t.questions)}") for t in templates]
        _style(self)
