"""Forms of pilots: fix the config, upload a dataset or a result bundle."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


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
