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
