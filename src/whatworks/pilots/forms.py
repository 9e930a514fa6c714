"""Forms of pilots: start one, fix the config, upload a dataset or a result bundle."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def _version_label(version: Any) -> str:
    registered = version.registered_at
    return (
        f"{version.project.reference} v{version.number}, "
        f"registered {registered.day} {registered:%B %Y}"
    )


class PilotForm(forms.Form):
    """A new pilot: its project, local authority, title and the config fixed in a version.

    Every problem is reported at once: the fields' own, the version that belongs to
    another project, and each of the engine's objections to the config.
    """

    project: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Research project"),
        queryset=None,
        empty_label=_("Choose a project"),
        help_text=_("One of your projects in the registry with a registered protocol."),
        error_messages={
            "required": _("Choose the research project."),
            "invalid_choice": _("Choose one of your research projects."),
        },
    )
    organisation: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Local authority"),
        queryset=None,
        empty_label=_("Choose a local authority"),
        help_text=_("Its LA analysts will see the pilot, with the project's team."),
        error_messages={
            "required": _("Choose the local authority."),
            "invalid_choice": _("Choose a local authority from the list."),
        },
    )
    name = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("For example: Northmoor escalation pilot."),
        error_messages={
            "required": _("Enter the pilot's title."),
            "max_length": _("The title must be %(limit_value)d characters or fewer."),
        },
    )
    protocol_version: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Registered protocol version"),
        queryset=None,
        empty_label=_("Choose a version"),
        help_text=_("The registered protocol version of the project that states this config."),
        error_messages={
            "required": _("Choose the registered protocol version."),
            "invalid_choice": _("Choose a registered protocol version from the list."),
        },
    )
    config_yaml = forms.CharField(
        label=_("Experiment config (YAML)"),
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "textarea"}),
        help_text=_("As given to whatworks-analytics run. It cannot be changed once fixed."),
        error_messages={"required": _("Enter the experiment config.")},
    )

    def __init__(
        self, *args: Any, projects: Any, versions: Any, organisations: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        project = self.fields["project"]
        project.queryset = projects  # type: ignore[attr-defined]
        project.label_from_instance = lambda p: f"{p.reference} {p.title}"  # type: ignore[attr-defined]
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        version = self.fields["protocol_version"]
        version.queryset = versions  # type: ignore[attr-defined]
        version.label_from_instance = _version_label  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_config_yaml(self) -> str:
        from whatworks.pilots import analytics

        text = str(self.cleaned_data["config_yaml"])
        try:
            analytics.config_parse(text)
        except analytics.EngineProblems as exc:
            raise forms.ValidationError(list(exc.problems)) from None
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        project, version = data.get("project"), data.get("protocol_version")
        if project is not None and version is not None and version.project_id != project.pk:
            self.add_error(
                "protocol_version",
                _("Choose a registered protocol version of %(ref)s, not of %(other)s.")
                % {"ref": project.reference, "other": version.project.reference},
            )
        return data


class ConfigForm(forms.Form):
    protocol_version: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Registered protocol version"),
        queryset=None,
        empty_label=_("Choose a version"),
        help_text=_("The registered protocol version that states this experiment config."),
        error_messages={"required": _("Choose the registered protocol version.")},
    )
    config_yaml = forms.CharField(
        label=_("Experiment config (YAML)"),
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "textarea"}),
        help_text=_("As given to whatworks-analytics run. It cannot be changed once fixed."),
        error_messages={"required": _("Enter the experiment config.")},
    )

    def __init__(self, *args: Any, versions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["protocol_version"]
        field.queryset = versions  # type: ignore[attr-defined]
        field.label_from_instance = lambda v: f"{v.project.reference} v{v.number}"  # type: ignore[attr-defined]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "file-upload"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class DatasetForm(forms.Form):
    dataset = MultipleFileField(
        label=_("Dataset files"),
        help_text=_(
            "The contract's six tables as CSV or Parquet files, or one zip of them. They are "
            "checked before anything is kept."
        ),
        error_messages={"required": _("Choose the dataset's files, or a zip of them.")},
    )


class BundleForm(forms.Form):
    bundle = forms.FileField(
        label=_("Result bundle (JSON)"),
        help_text=_("The bundle.json that whatworks-analytics run wrote on your machine."),
        widget=forms.ClearableFileInput(attrs={"class": "file-upload", "accept": ".json"}),
        error_messages={"required": _("Choose the result bundle file.")},
    )


class ConfigChoicesForm(forms.Form):
    """The common choices of an experiment config, written into the worked example.

    Submitted by GET to the "start a pilot" page, whose config box it fills: nothing is
    stored until the pilot is started.  Every problem is reported at once.
    """

    prefix = "choices"

    events = forms.MultipleChoiceField(
        label=_("Outcome: which events count as escalation"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A referral's outcome is any of these starting within the window after it."),
        error_messages={"required": _("Choose at least one outcome event.")},
    )
    window_days = forms.IntegerField(
        label=_("Outcome window (days after the referral)"),
        min_value=30,
        max_value=3650,
        initial=365,
        help_text=_("For example 365 for a year."),
        error_messages={
            "required": _("Enter the outcome window in days."),
            "invalid": _("Enter the outcome window as a whole number of days."),
            "min_value": _("The outcome window must be at least 30 days."),
            "max_value": _("The outcome window must be 3,650 days (ten years) or fewer."),
        },
    )
    flag_by = forms.ChoiceField(
        label=_("Operating point: which referrals are flagged"),
        widget=forms.RadioSelect,
        choices=[
            ("top_percent", _("The share of referrals the team has capacity to look at again")),
            ("threshold", _("Every referral whose score reaches a threshold")),
        ],
        initial="top_percent",
        error_messages={"required": _("Choose how referrals are flagged.")},
    )
    top_percent = forms.FloatField(
        label=_("Share flagged (per cent of referrals)"),
        required=False,
        initial=10,
        help_text=_("With the share: for example 10 for the top 10%."),
        error_messages={"invalid": _("Enter the share as a number, such as 10.")},
    )
    threshold = forms.FloatField(
        label=_("Score threshold (0 to 1)"),
        required=False,
        help_text=_("With a threshold: for example 0.3."),
        error_messages={"invalid": _("Enter the threshold as a number, such as 0.3.")},
    )
    precision_min = forms.FloatField(
        label=_("Success if precision is at least"),
        required=False,
        initial=0.65,
        help_text=_("Of the referrals flagged, the share that escalated (0 to 1). Blank: none."),
        error_messages={"invalid": _("Enter the precision as a number from 0 to 1.")},
    )
    recall_min = forms.FloatField(
        label=_("Success if recall is at least"),
        required=False,
        initial=0.5,
        help_text=_("Of the children who escalated, the share flagged (0 to 1). Blank: none."),
        error_messages={"invalid": _("Enter the recall as a number from 0 to 1.")},
    )
    roc_auc_min = forms.FloatField(
        label=_("Success if ROC AUC is at least"),
        required=False,
        help_text=_(
            "How well the scores rank those who escalated above those who did not (0.5 is "
            "chance, 1 perfect). Blank: none."
        ),
        error_messages={"invalid": _("Enter the ROC AUC as a number from 0 to 1.")},
    )
    combine = forms.ChoiceField(
        label=_("The model succeeds when"),
        widget=forms.RadioSelect,
        choices=[("all", _("every criterion is met")), ("any", _("any criterion is met"))],
        initial="all",
        error_messages={"required": _("Choose whether every criterion or any must be met.")},
    )

    CRITERIA = (
        ("precision", "precision_min"),
        ("recall", "recall_min"),
        ("roc_auc", "roc_auc_min"),
    )

    EVENT_LABELS = {
        "cp_plan": _("A child protection plan starts"),
        "looked_after": _("The child starts to be looked after"),
        "s47": _("A section 47 enquiry starts"),
        "assessment": _("An assessment starts"),
        "re_referral": _("The child is referred again"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from whatworks.pilots.analytics import outcome_events

        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [  # type: ignore[attr-defined]
            (code, self.EVENT_LABELS.get(code, code)) for code in outcome_events()
        ]
        self.fields["events"].initial = ["cp_plan", "looked_after"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("flag_by") == "top_percent":
            share = data.get("top_percent")
            if share is None and "top_percent" not in self.errors:
                self.add_error("top_percent", _("Enter the share of referrals flagged."))
            elif share is not None and not 0 < share <= 100:
                self.add_error("top_percent", _("The share must be more than 0 and at most 100."))
        elif data.get("flag_by") == "threshold":
            cut = data.get("threshold")
            if cut is None and "threshold" not in self.errors:
                self.add_error("threshold", _("Enter the score threshold."))
            elif cut is not None and not 0 <= cut <= 1:
                self.add_error("threshold", _("The threshold must be from 0 to 1."))
        for _metric, name in self.CRITERIA:
            value = data.get(name)
            if value is not None and not 0 <= value <= 1:
                self.add_error(name, _("Enter a number from 0 to 1."))
        if not any(data.get(name) is not None for _m, name in self.CRITERIA) and not any(
            name in self.errors for _m, name in self.CRITERIA
        ):
            self.add_error("precision_min", _("Pre-register at least one success criterion."))
        return data

    def config_yaml(self) -> str:
        """The worked example with these choices written in (call after ``is_valid``)."""
        from whatworks.pilots.analytics import config_from_choices

        data = self.cleaned_data
        by_share = data["flag_by"] == "top_percent"
        return config_from_choices(
            events=list(data["events"]),
            window_days=int(data["window_days"]),
            top_percent=data["top_percent"] if by_share else None,
            threshold=None if by_share else data["threshold"],
            criteria=[
                (metric, ">=", float(data[name]))
                for metric, name in self.CRITERIA
                if data.get(name) is not None
            ],
            combine=data["combine"],
        )


class PilotRequestForm(forms.Form):
    question = forms.CharField(
        label=_("What would your authority like to test?"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "textarea"}),
        help_text=_(
            "For example: which referrals escalate to a plan or care within a year, and "
            "whether a tool we already use would flag them. Do not include any child's "
            "details."
        ),
        error_messages={
            "required": _("Say what your authority would like to test."),
            "max_length": _("Keep the request to %(limit_value)d characters or fewer."),
        },
    )
