"""Template helpers for the two rating scales and the cost bands."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from whatworks.evidence.models import (
    AgeGroup,
    Availability,
    CostBand,
    Effectiveness,
    EffectMeasure,
    NeedLevel,
    OutcomeDomain,
    OutcomeRating,
    RiskOfBias,
    Setting,
    Strength,
    StudyDesign,
)
from whatworks.evidence.scales import (
    COST_BY_VALUE,
    EFFECTIVENESS_BY_VALUE,
    STRENGTH_BY_VALUE,
    CostStep,
    ScaleStep,
)

register = template.Library()


@register.filter
def effectiveness_step(value: str) -> ScaleStep | None:
    return EFFECTIVENESS_BY_VALUE.get(value)


@register.filter
def strength_step(value: str) -> ScaleStep | None:
    return STRENGTH_BY_VALUE.get(value)


@register.filter
def cost_step(value: str) -> CostStep | None:
    return COST_BY_VALUE.get(value)


@register.filter
def meter(level: int, out_of: int = 4) -> list[bool]:
    """``[True] * level + [False] * (out_of - level)``, for drawing filled and empty marks."""
    level = max(0, min(int(level), int(out_of)))
    return [True] * level + [False] * (int(out_of) - level)


_CHOICES: dict[str, type[models.TextChoices]] = {
    "age": AgeGroup,
    "need": NeedLevel,
    "setting": Setting,
    "cost": CostBand,
    "availability": Availability,
    "domain": OutcomeDomain,
    "effectiveness": Effectiveness,
    "strength": Strength,
    "design": StudyDesign,
    "bias": RiskOfBias,
    "measure": EffectMeasure,
}


@lru_cache(maxsize=64)
def _labels(kind: str, language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in _CHOICES[kind].choices}


@register.filter
def label(value: str, kind: str) -> str:
    """The display label of a choice, like ``get_FOO_display`` but cached per language
    (``get_FOO_display`` rebuilds its lookup on every call, which shows on long pages)."""
    return _labels(kind, get_language()).get(value, value)


@register.filter
def labels(values: list[str], kind: str) -> str:
    """The labels of several choices, joined with semicolons (``label`` for each)."""
    found = _labels(kind, get_language())
    return "; ".join(found.get(value, value) for value in values or ())


@register.filter
def natural(value: float, measure: str) -> float:
    """A value on the pooling scale as people read it: a ratio for risk and odds ratios."""
    from whatworks.evidence.analytics import display_value

    return display_value(measure, value)


@register.simple_tag
def rating_pair_compact(rating: OutcomeRating) -> SafeString:
    """``evidence/includes/rating_pair.html`` for one outcome of a search result, compact.

    The compact pair shows only the two ratings, so there are a few dozen of them per
    language: each is rendered once per process (the search page shows up to sixty, and
    rendering them took a third of the page's time).  Rendered afresh with ``DEBUG``, where
    templates change.
    """
    if settings.DEBUG:
        return _compact_pair_render(rating.effectiveness, rating.strength)
    return _compact_pair(rating.effectiveness, rating.strength, get_language())


@lru_cache(maxsize=256)
def _compact_pair(effectiveness: str, strength: str, language: str | None) -> SafeString:
    return _compact_pair_render(effectiveness, strength)


def _compact_pair_render(effectiveness: str, strength: str) -> SafeString:
    rating = OutcomeRating(effectiveness=effectiveness, strength=strength)
    return render_to_string(
        "evidence/includes/rating_pair.html", {"rating": rating, "compact": True}
    )
