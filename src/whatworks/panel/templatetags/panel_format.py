"""Number formatting for the panel's result pages (NaN shows as a dash)."""

from __future__ import annotations

import math
from typing import Any

from django import template

register = template.Library()


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@register.filter
def pct(value: Any, places: int = 1) -> str:
    """0.1234 -> "12.3" (a share as percentage points)."""
    number = _number(value)
    return "\u2013" if number is None else f"{100 * number:.{int(places)}f}"


@register.filter
def fixed(value: Any, places: int = 2) -> str:
    number = _number(value)
    return "\u2013" if number is None else f"{number:,.{int(places)}f}"


@register.filter
def mul(value: Any, factor: Any) -> int:
    return int(value) * int(factor)


@register.filter
def chart_height(count: Any) -> int:
    """The results chart's height: a legend line, then 58 px for each answer."""
    return 30 + max(int(count), 1) * 58


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template (None when it is missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def index(sequence: Any, position: Any) -> Any:
    """``sequence[position]`` in a template (NaN when out of range)."""
    try:
        return sequence[int(position)]
    except (IndexError, TypeError, ValueError):
        return math.nan


@register.filter
def pulse_y(share: Any) -> float:
    """The pulse chart's y coordinate of a share (see ``panel.pulse_chart``)."""
    from whatworks.panel.pulse_chart import _y

    number = _number(share)
    return _y(number if number is not None else 0.0)
