"""Forms of the panel: they parse and validate input; services do the rest."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from whatworks.core.models import Region
from whatworks.panel import consent, likert
from whatworks.panel.models import (
    AgeBand,
    EmployerType,
    Ethnicity,
    Poll,
    Question,
    Scale,
    Sex,
    Study,
    WorkforceRole,
    YearsInPractice,
)
from whatworks.panel.services.questions import CHOICE_KINDS, QuestionSpec


def _unchosen(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Choices that start with an empty "Choose…": nothing is pre-selected, so an answer
    that feeds the weighting is always one the member gave."""
    return [("", _("Choose…")), *choices]


class ProfileForm(forms.Form):
    role = forms.ChoiceField(label=_("Your role"), choices=_unchosen(WorkforceRole.choices))
    region = forms.ChoiceField(label=_("Region you work in"), choices=_unchosen(Region.choices))
    employer_type = forms.ChoiceField(
        label=_("Employer type"), choices=_unchosen(EmployerType.choices)
    )
    age_band = forms.ChoiceField(label=_("Age"), choices=_unchosen(AgeBand.choices))
    sex = forms.ChoiceField(label=_("Sex"), choices=_unchosen(Sex.choices))
    ethnicity = forms.ChoiceField(label=_("Ethnic group"), choices=_unchosen(Ethnicity.choices))
    years = forms.ChoiceField(
        label=_("Years in practice"), choices=_unchosen(YearsInPractice.choices)
    )
    site = forms.CharField(
        label=_("Employer or site (optional)"),
        required=False,
        max_length=120,
        help_text=_("Only used to compare sites in studies you take part in."),
    )


class JoinForm(ProfileForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    membership = forms.BooleanField(
        label=consent.MEMBERSHIP_LABEL,
        required=True,
        error_messages={"required": _("You need to agree to the panel's terms to join.")},
    )
    recontact = forms.BooleanField(label=consent.RECONTACT_LABEL, required=False)
    studies = forms.ModelMultipleChoiceField(
        label=_("Studies you agree to take part in (optional)"),
        queryset=Study.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["email", *ProfileForm.base_fields, "membership", "recontact", "studies"]


class RecontactForm(forms.Form):
    recontact = forms.BooleanField(label=consent.RECONTACT_LABEL, required=False)


class LeaveForm(forms.Form):
    LEVELS = (
        ("leave", _("Leave the panel: no more invitations; your answers stay in results")),
        ("anonymise", _("Remove my identity: delete my details and keep my answers anonymously")),
        ("erase", _("Remove everything: delete my details and all my answers")),
    )
    level = forms.ChoiceField(
        label=_("What should happen"), choices=LEVELS, widget=forms.RadioSelect
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone"),
        error_messages={"required": _("Confirm that you understand this cannot be undone.")},
    )


class PollForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(label=_("Short name for the address"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=Poll.Kind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    study = forms.ModelChoiceField(
        label=_("Study (for a survey with waves)"), queryset=Study.objects.all(), required=False
    )
    wave = forms.IntegerField(label=_("Wave number"), min_value=1, max_value=20, required=False)
    max_reminders = forms.IntegerField(
        label=_("Reminders at most"), min_value=0, max_value=5, initial=2
    )
    reminder_days = forms.IntegerField(
        label=_("Days between reminders"), min_value=1, max_value=30, initial=3
    )


class ScheduleForm(forms.Form):
    """When a poll opens and closes, and what its invitation e-mail says."""

    opens_at = forms.DateTimeField(
        label=_("Open at (optional)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("UK time. Leave empty to open it yourself."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closes_at = forms.DateTimeField(
        label=_("Close at (optional)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("UK time. Closing publishes the results; the invitation says this date."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    minutes = forms.IntegerField(
        label=_("Minutes it takes (optional)"),
        min_value=1,
        max_value=120,
        required=False,
        widget=forms.NumberInput(attrs={"class": "input input--short"}),
    )
    invitation_text = forms.CharField(
        label=_("Invitation text (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A few sentences at the top of the invitation e-mail, in plain text."),
    )


class QuestionForm(forms.Form):
    """A question as its author types it; :meth:`spec` hands it to the service."""

    kind = forms.ChoiceField(label=_("Kind of question"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("Question"), max_length=400)
    hint = forms.CharField(label=_("Hint (optional)"), max_length=400, required=False)
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)
    page = forms.IntegerField(
        label=_("Page"),
        min_value=1,
        max_value=20,
        initial=1,
        required=False,
        help_text=_("For a survey on several pages; a short poll keeps every question on page 1."),
        widget=forms.NumberInput(attrs={"class": "input input--short"}),
    )
    options = forms.CharField(
        label=_("Options, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single and multiple choice, dropdown, Likert, ranking and matrix."),
    )
    likert_preset = forms.ChoiceField(
        label=_("Or a ready-made Likert scale"),
        choices=likert.choices,
        required=False,
        help_text=_("Five points, lowest first; leave the options empty to use one."),
    )
    rows = forms.CharField(
        label=_("Matrix rows, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scale = forms.ModelChoiceField(
        label=_("Published scale (optional, for a matrix)"),
        queryset=Scale.objects.filter(published=True),
        required=False,
    )
    min_value = forms.FloatField(
        label=_("Lowest allowed (optional)"),
        required=False,
        help_text=_("For a number, or the lowest point of a scale (0 unless set)."),
        widget=forms.NumberInput(attrs={"class": "input input--short", "step": "any"}),
    )
    max_value = forms.FloatField(
        label=_("Highest allowed (optional)"),
        required=False,
        help_text=_("For a number, or the highest point of a scale (10 unless set)."),
        widget=forms.NumberInput(attrs={"class": "input input--short", "step": "any"}),
    )
    low_label = forms.CharField(
        label=_("What the lowest point means (optional, for a scale)"),
        max_length=80,
        required=False,
    )
    high_label = forms.CharField(
        label=_("What the highest point means (optional, for a scale)"),
        max_length=80,
        required=False,
    )
    max_length = forms.IntegerField(
        label=_("Longest answer in characters (optional, for free text)"),
        min_value=1,
        max_value=4000,
        required=False,
        widget=forms.NumberInput(attrs={"class": "input input--short"}),
    )
    conditions = forms.MultipleChoiceField(
        label=_("Show only if the answer is (optional)"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick one or more answers to earlier questions; leave all unticked to ask "
                    "everyone."),
    )  # fmt: skip
    match = forms.ChoiceField(
        label=_("With several ticked, show the question when"),
        choices=Question.Match.choices,
        initial=Question.Match.ALL,
        required=False,
        widget=forms.RadioSelect,
    )
    pulse_key = forms.SlugField(
        label=_("Pulse series key (optional)"), max_length=80, required=False
    )

    def __init__(
        self, *args: Any, poll: Poll, question: Question | None = None, **kwargs: Any
    ) -> None:
        if question is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = question_initial(question)
        super().__init__(*args, **kwargs)
        self.poll = poll
        sources = [
            q
            for q in poll.questions.prefetch_related("scale").order_by("page", "order", "pk")
            if q.kind in CHOICE_KINDS and (question is None or q.pk != question.pk)
        ]
        self.sources = {str(q.pk): q for q in sources}
        field = self.fields["conditions"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (f"{q.pk}:{option}", f"“{q.text}” is “{option}”")
            for q in sources
            for option in q.choice_options()
        ]

    @staticmethod
    def lines(value: str) -> list[str]:
        return [line.strip() for line in value.splitlines() if line.strip()]

    def spec(self) -> QuestionSpec:
        data = self.cleaned_data
        conditions = []
        for value in data["conditions"]:
            pk, _sep, option = value.partition(":")
            conditions.append((self.sources[pk], option))
        return QuestionSpec(
            kind=data["kind"],
            text=data["text"],
            hint=data["hint"],
            required=data["required"],
            options=tuple(self.lines(data["options"])),
            rows=tuple(self.lines(data["rows"])),
            scale=data["scale"],
            likert_preset=data["likert_preset"],
            conditions=tuple(conditions),
            match=data["match"] or Question.Match.ALL,
            min_value=data["min_value"],
            max_value=data["max_value"],
            max_length=data["max_length"],
            low_label=data["low_label"],
            high_label=data["high_label"],
            page=data["page"] or 1,
            pulse_key=data["pulse_key"],
        )


def question_initial(question: Question) -> dict[str, Any]:
    return {
        "kind": question.kind,
        "text": question.text,
        "hint": question.hint,
        "required": question.required,
        "page": question.page,
        "options": "\n".join(str(o) for o in question.options),
        "rows": "\n".join(str(r) for r in question.rows),
        "scale": question.scale_id,
        "min_value": question.min_value,
        "max_value": question.max_value,
        "low_label": question.low_label,
        "high_label": question.high_label,
        "max_length": question.max_length,
        "conditions": [f"{c.depends_on_id}:{c.value}" for c in question.conditions.all()],
        "match": question.match,
        "pulse_key": question.pulse_key,
    }


class ScaleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(label=_("Short name"), max_length=80)
    source = forms.CharField(label=_("Source or citation"), max_length=300, required=False)
    options = forms.CharField(
        label=_("Options, one per line, lowest score first"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    items = forms.CharField(
        label=_("Items, one per line; start a line with * if it is reverse-scored"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    scoring = forms.ChoiceField(label=_("Scoring"), choices=Scale.Scoring.choices)

    def clean_options(self) -> list[str]:
        options = QuestionForm.lines(self.cleaned_data["options"])
        if len(options) < 2:
            raise forms.ValidationError(_("Give at least two options."))
        return options

    def clean_items(self) -> list[tuple[str, bool]]:
        items = [
            (line.lstrip("*").strip(), line.startswith("*"))
            for line in QuestionForm.lines(self.cleaned_data["items"])
        ]
        if not items:
            raise forms.ValidationError(_("Give at least one item."))
        return items


class InviteForm(forms.Form):
    MODES = (
        ("all", _("All members")),
        ("filter", _("Members in the chosen regions and roles")),
        ("sample", _("A random sample, stratified by region and role")),
    )
    mode = forms.ChoiceField(
        label=_("Who to invite"), choices=MODES, widget=forms.RadioSelect, initial="all"
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions (optional)"),
        choices=Region.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles (optional)"),
        choices=WorkforceRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sample_size = forms.IntegerField(label=_("Sample size"), min_value=1, required=False)
    cap_days = forms.IntegerField(
        label=_("Skip members invited in the last (days)"), min_value=0, max_value=90, initial=7
    )


def parse_answers(poll: Poll, data: QueryDict, *, page: int | None = None) -> dict[int, Any]:
    """Turn the posted answer fields into {question id: value} (checking is the service's).

    With ``page``, only that page's questions are read.
    """
    answers: dict[int, Any] = {}
    questions = poll.questions.select_related("scale").prefetch_related("scale__items")
    if page is not None:
        questions = questions.filter(page=page)
    for question in questions:
        name = f"q{question.pk}"
        if question.kind == Question.Kind.MULTIPLE:
            answers[question.pk] = data.getlist(name)
        elif question.kind == Question.Kind.MATRIX:
            answers[question.pk] = {
                row: data.get(f"{name}_{i}", "") for i, row in enumerate(question.matrix_rows())
            }
        elif question.kind == Question.Kind.RANKING:
            answers[question.pk] = {
                option: data.get(f"{name}_{i}", "")
                for i, option in enumerate(question.choice_options())
            }
        else:
            answers[question.pk] = data.get(name, "")
    return answers


class StudyLinkForm(forms.Form):
    reference = forms.CharField(
        label=_("Research project identifier"),
        max_length=20,
        required=False,
        help_text=_("As in the research registry, e.g. WWC-2026-0003. Leave empty to unlink."),
    )


class StudyExportForm(forms.Form):
    """Which registered protocol version and which pre-registered outcome the change answers."""

    protocol_version = forms.TypedChoiceField(
        label=_("Registered protocol version"), coerce=int, choices=()
    )
    outcome = forms.ChoiceField(label=_("Pre-registered outcome this change measures"), choices=())

    def __init__(
        self,
        *args: Any,
        versions: tuple[int, ...] = (),
        outcomes: tuple[tuple[str, str], ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        version_field = self.fields["protocol_version"]
        outcome_field = self.fields["outcome"]
        assert isinstance(version_field, forms.TypedChoiceField)
        assert isinstance(outcome_field, forms.ChoiceField)
        version_field.choices = [(n, f"Version {n}") for n in versions]
        outcome_field.choices = list(outcomes)


#: Largest CSV of bounced addresses accepted, in bytes.
BOUNCE_FILE_MAX_BYTES = 1024 * 1024


class BounceForm(forms.Form):
    addresses = forms.CharField(
        label=_("Bounced e-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("One or more addresses, separated by new lines, commas or spaces."),
    )
    file = forms.FileField(
        label=_("Or a CSV file of bounced addresses (optional)"),
        required=False,
        help_text=_("Every cell that is an e-mail address is read; other cells are ignored."),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data.get("file")
        if not upload:
            return ""
        if upload.size > BOUNCE_FILE_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            return str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pasted = data.get("addresses") or ""
        if not pasted.strip() and not data.get("file") and "file" not in self.errors:
            raise forms.ValidationError(_("Paste some addresses or choose a CSV file."))
        emails, not_addresses = parse_addresses(pasted, strict=True)
        from_file, _ignored = parse_addresses(data.get("file") or "", strict=False)
        data["emails"] = list(dict.fromkeys([*emails, *from_file]))
        data["not_addresses"] = not_addresses
        if not data["emails"] and not self.errors:
            raise forms.ValidationError(_("No e-mail addresses were found."))
        return data


_ADDRESS_SPLIT = re.compile(r"[\s,;]+")


def parse_addresses(text: str, *, strict: bool) -> tuple[list[str], list[str]]:
    """E-mail addresses in ``text`` (lower-cased, once each, in order) and what is not one.

    The text is read as CSV (a pasted list is a one-column CSV), each cell split on spaces,
    commas and semicolons.  With ``strict`` every other word is reported as not an address;
    otherwise only words with an "@" are (CSV headers and other columns are ignored).
    """
    found: list[str] = []
    bad: list[str] = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            for word in _ADDRESS_SPLIT.split(cell):
                word = word.strip().strip("<>\"'()[]").strip()
                if not word:
                    continue
                try:
                    validate_email(word)
                except ValidationError:
                    if strict or "@" in word:
                        bad.append(word[:200])
                    continue
                found.append(word.lower())
    return list(dict.fromkeys(found)), list(dict.fromkeys(bad))
