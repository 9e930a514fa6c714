"""The application form (built from the call's questions), scoring and decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from whatworks.calls.models import Application, Call, Criterion, Question
from whatworks.core.forms import show_as_required
from whatworks.core.models import Organisation, User
from whatworks.core.questions import ChoiceQuestionForm, answer_field_name, choice_field


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput | forms.FileInput):
            continue
        widget.attrs.setdefault("class", "input")


class ApplicationForm(forms.Form):
    """Every field is optional here: a draft may be partial; the service checks on submit."""

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # eligibility questions are answered first, on their own page
        self.questions = [q for q in call.questions.all() if not q.screens]
        for question in self.questions:
            field: forms.Field
            if question.kind == Question.Kind.LONG_TEXT:
                field = forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))
            elif question.kind == Question.Kind.NUMBER:
                field = forms.DecimalField(max_digits=14, decimal_places=2)
            elif question.kind == Question.Kind.CHOICE:
                field = choice_field(question)
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
            self.fields[answer_field_name(question)] = field
        _style(self)

    def answers(self) -> dict[str, str]:
        result = {}
        for question in self.questions:
            if question.kind == Question.Kind.FILE:
                continue
            value = self.cleaned_data.get(answer_field_name(question))
            result[str(question.pk)] = "" if value is None else str(value)
        return result

    def files_by_question(self) -> dict[int, UploadedFile]:
        return {
            q.pk: self.cleaned_data[answer_field_name(q)]
            for q in self.questions
            if q.kind == Question.Kind.FILE and self.cleaned_data.get(answer_field_name(q))
        }


class EligibilityForm(forms.Form):
    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[answer_field_name(question)] = forms.ChoiceField(
                label=question.label,
                help_text=question.hint,
                choices=[("yes", _("Yes")), ("no", _("No"))],
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer yes or no.")},
            )

    def answers(self) -> dict[str, str]:
        return {str(q.pk): self.cleaned_data[answer_field_name(q)] for q in self.questions}


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


def _reviewer_label(user: User) -> str:
    return f"{user.get_full_name()} ({user.email})"


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        label=_("Reviewer"), queryset=User.objects.none(), empty_label="—"
    )

    def __init__(self, *args: Any, reviewers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = reviewers
        field.label_from_instance = _reviewer_label  # type: ignore[method-assign,assignment]
        _style(self)


class ConflictForm(forms.Form):
    note = forms.CharField(
        label=_("What is the conflict?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: “I worked there until 2024”. Staff see this; the applicant does not. "
            "You will no longer see this application or its scores, and any scores you gave "
            "are withdrawn."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Application.Status.SHORTLISTED, _("Shortlist")),
            (Application.Status.ACCEPTED, _("Accept")),
            (Application.Status.DECLINED, _("Decline")),
        ],
    )
    feedback = forms.CharField(
        label=_("Feedback to the applicant"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Goes in the e-mail with the decision and stays on the application's page, e.g. "
            "what was strong and what would make a stronger application."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class BulkDecisionForm(DecisionForm):
    applications = forms.ModelMultipleChoiceField(
        label=_("Applications"), queryset=Application.objects.none()
    )

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["applications"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = call.applications.filter(
            status__in=(Application.Status.RECEIVED, Application.Status.SHORTLISTED)
        ).select_related("organisation", "applicant", "call")
        field.error_messages["required"] = _("Choose at least one application.")
        self.order_fields(["status", "feedback"])


# --- staff ---------------------------------------------------------------------------

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CallForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = (
            "title",
            "slug",
            "summary",
            "eligibility",
            "opens_at",
            "closes_at",
            "project_ref",
            "published",
        )
        labels = {"slug": _("Web address name")}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "eligibility": forms.Textarea(attrs={"rows": 4}),
            "opens_at": DATETIME,
            "closes_at": DATETIME,
        }
        help_texts = {
            "slug": _("Lower-case letters, digits and hyphens: /calls/<name>/."),
            "published": _("Unpublished calls are seen only by staff."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("opens_at", "closes_at"):
            field = self.fields[name]
            assert isinstance(field, forms.DateTimeField)
            field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The call must close after it opens."))
        return data


class QuestionForm(ChoiceQuestionForm):
    class Meta:
        model = Question
        fields = ("label", "kind", "hint", "choices", "required", "eligible_answer", "position")
        widgets = {"choices": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "choices": _("For a choice question only: one choice a line."),
            "position": _("Questions are asked in this order, lowest first."),
            "required": _("Applicants must answer it before they can submit."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("eligible_answer") and data.get("kind") != Question.Kind.YES_NO:
            self.add_error("eligible_answer", _("Only a yes-or-no question can screen."))
        return data


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ("label", "description", "max_score", "weight", "position")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "max_score": _("Reviewers score from 0 to this."),
            "position": _("Criteria are shown in this order, lowest first."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("max_score", "weight"):
            self.fields[name].widget.attrs["min"] = 1
        _style(self)


# --- applicants' accounts ------------------------------------------------------------


class JoinForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Your organisation"),
        queryset=Organisation.objects.order_by("name"),
        empty_label="—",
        help_text=_(
            "Someone who already belongs to it, or an administrator, confirms that you do."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class RegisterForm(JoinForm):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.order_fields(["full_name", "email", "organisation"])


class AccountPasswordForm(forms.Form):
    """The password for an account being made from its e-mailed link."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "A long password that is not like your name or address, not a common one, and "
            "not only digits."
        ),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, full_name: str, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = User(email=email, full_name=full_name)
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords differ."))
        elif password:
            try:
                password_validation.validate_password(password, self.person)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class JoinDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
