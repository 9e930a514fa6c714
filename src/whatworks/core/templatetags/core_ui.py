"""Template tags and filters for the shared interface patterns (built in to every template).

- ``{% error_summary form [formset ...] errors=... labels=... %}``: the GOV.UK error summary
  whose every entry names its field in words and links to it;
- ``field|requirement``: "required", "optional" or "" for a field's label;
- ``filters|chosen:"a,b"``: how many filters are set (the "Filter" disclosure's summary);
- ``code|label_for:"kind"``: a person's words for a stored code (``core.labels``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template

from whatworks.core import labels

register = template.Library()


@dataclass(frozen=True)
class ErrorEntry:
    """One line of an error summary: what it says, and the id of the element it links to."""

    message: str
    target: str = ""
    label: str = ""

    @property
    def text(self) -> str:
        return f"{self.label}: {self.message}" if self.label else self.message


def _label_text(label: Any) -> str:
    text = str(label or "").strip()
    for suffix in ("(optional)", "(required)"):
        text = text.removesuffix(suffix).strip()
    return text.rstrip(":").strip()


def _target(bound: forms.BoundField) -> str:
    return str(bound.id_for_label or bound.auto_id or "")


def form_entries(form: forms.BaseForm, *, label_prefix: str = "") -> list[ErrorEntry]:
    entries = []
    fields = [bound for bound in form if not bound.is_hidden]
    for error in form.non_field_errors():
        # A problem with the whole form: it links to the first field, where to start again.
        first = _target(fields[0]) if fields else ""
        entries.append(ErrorEntry(message=str(error), target=first))
    for bound in form:
        label = _label_text(bound.label) or bound.name.replace("_", " ").capitalize()
        if label_prefix:
            label = f"{label_prefix}, {label[:1].lower()}{label[1:]}"
        for error in bound.errors:
            entries.append(ErrorEntry(message=str(error), target=_target(bound), label=label))
    return entries


def error_entries(
    *sources: Any, errors: Any = None, labels_for_sets: str = "", names: str = ""
) -> list[ErrorEntry]:
    """Every problem of the forms, formsets and ``errors`` dict given, in page order.

    ``errors`` maps an element id (without ``id_`` when it starts so) to a message, or to a
    ``(label, message)`` pair; ``names`` gives the fields' labels ("since:From date,until:To
    date").  ``labels_for_sets`` gives each formset's item a name ("Outcome,Criterion" ->
    "Outcome 2, name: …").
    """
    field_names = {
        part.split(":", 1)[0].strip(): part.split(":", 1)[1].strip()
        for part in names.split(",")
        if ":" in part
    }
    item_names = [name.strip() for name in labels_for_sets.split(",") if name.strip()]
    entries: list[ErrorEntry] = []
    set_index = 0
    for source in sources:
        if source is None or source == "":
            continue
        if isinstance(source, forms.BaseFormSet):
            item = (
                item_names[set_index]
                if set_index < len(item_names)
                else _label_text(source.prefix).capitalize()
            )
            set_index += 1
            for error in source.non_form_errors():
                entries.append(ErrorEntry(message=str(error)))
            for number, sub in enumerate(source.forms, start=1):
                entries += form_entries(sub, label_prefix=f"{item} {number}")
        elif isinstance(source, forms.BaseForm):
            entries += form_entries(source)
    for key, value in (errors or {}).items():
        target = str(key) if str(key).startswith("id_") else f"id_{key}"
        if isinstance(value, tuple | list) and len(value) == 2:
            entries.append(ErrorEntry(message=str(value[1]), target=target, label=str(value[0])))
        else:
            label = field_names.get(str(key).removeprefix("id_"), "")
            entries.append(ErrorEntry(message=str(value), target=target, label=label))
    return entries


@register.inclusion_tag("core/includes/error_summary_list.html")
def error_summary(
    *sources: Any, errors: Any = None, labels: str = "", names: str = ""
) -> dict[str, Any]:
    entries = error_entries(*sources, errors=errors, labels_for_sets=labels, names=names)
    return {"entries": entries}


@register.filter
def requirement(bound: forms.BoundField) -> str:
    """ "required" or "optional" for the label, or "" when the label already says which."""
    label = str(bound.label or "")
    if "(optional)" in label or "(required)" in label:
        return ""
    required = getattr(bound.field, "show_required", bound.field.required)
    return "required" if required else "optional"


@register.filter
def chosen(filters: Any, names: str) -> int:
    """How many of the named filters have a value: ``{{ filters|chosen:"status,topic" }}``."""
    get = getattr(filters, "get", None)
    if get is None:
        return 0
    return sum(1 for name in names.split(",") if get(name.strip()) not in (None, "", [], ()))


@register.filter
def label_for(code: Any, kind: str) -> str:
    return labels.label(kind, code)


@register.filter
def shorten(text: Any, limit: Any) -> str:
    """``{{ text|shorten:40 }}``: at most 40 characters, cut at a word, with an ellipsis."""
    from whatworks.core.text import shorten as cut

    return cut(str(text), int(limit))
