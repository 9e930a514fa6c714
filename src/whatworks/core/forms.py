"""The form rendering every part shares: hint and error ids that the inputs point at.

``FORM_RENDERER`` names :class:`FormRenderer`, so every form on the site uses
:class:`BoundField`.  Its ``aria-describedby`` names ``<id>-hint`` and ``<id>-error``, the
ids that ``core/includes/field.html`` gives the hint and the error message, so a screen
reader announces both when the input takes focus.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates


class BoundField(forms.BoundField):
    @property
    def aria_describedby(self) -> str | None:
        if self.field.widget.attrs.get("aria-describedby"):
            return None  # set by the form itself: kept as it is
        ids = []
        if self.auto_id and not self.is_hidden:
            if self.help_text:
                ids.append(f"{self.auto_id}-hint")
            if self.errors:
                ids.append(f"{self.auto_id}-error")
        return " ".join(ids)

    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: forms.Widget | None = None
    ) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if getattr(self.field, "show_required", False) and not self.is_hidden:
            attrs["aria-required"] = "true"  # asked for on submission, though a draft may lack it
        return attrs


class FormRenderer(DjangoTemplates):
    bound_field_class = BoundField


def show_as_required(field: forms.Field, required: bool) -> None:
    """Mark ``field`` required or optional on the page whatever ``field.required`` says.

    For forms that accept a partial draft (every field optional) but ask for some answers
    before the draft is submitted.
    """
    field.show_required = required  # type: ignore[attr-defined]


class SynonymForm(forms.Form):
    """A group of search synonyms; the service checks it (its template draws the fields)."""

    terms = forms.CharField(required=False, strip=False)
    note = forms.CharField(required=False, strip=False)

    def error_text(self) -> str:
        """Every error, joined, as the page shows them beside the terms."""
        return " ".join(str(m) for messages in self.errors.values() for m in messages)
