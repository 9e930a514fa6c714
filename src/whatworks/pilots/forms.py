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
