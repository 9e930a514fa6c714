"""The published scales: effectiveness (how big), strength of evidence (how sure), cost bands.

"Our ratings explained" shows these definitions, which come from the rating rules in
:mod:`whatworks.evidence.rules` (with :data:`RULES_VERSION`, re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from whatworks.evidence.models import CostBand, Effectiveness, Strength
from whatworks.evidence.rules import (
    EFFECTIVENESS_ORDER,
    RULES_VERSION,
    STRENGTH_ORDER,
    effectiveness_definitions,
    strength_definitions,
)

__all__ = ["COST_BANDS", "EFFECTIVENESS_SCALE", "RULES_VERSION", "STRENGTH_SCALE"]


@dataclass(frozen=True)
class ScaleStep:
    value: str
    label: Promise | str
    definition: Promise | str
    level: int  # for the visual marker: number of filled blocks / dots


_EFFECTIVENESS_DEFINITIONS = effectiveness_definitions()
_STRENGTH_DEFINITIONS = strength_definitions()

#: Each step's definition is the rule in :mod:`.rules`, so that page and code agree.
EFFECTIVENESS_SCALE: tuple[ScaleStep, ...] = tuple(
    ScaleStep(value, Effectiveness(value).label, _EFFECTIVENESS_DEFINITIONS[value], level)
    for level, value in reversed(list(enumerate(EFFECTIVENESS_ORDER)))
)

STRENGTH_SCALE: tuple[ScaleStep, ...] = tuple(
    ScaleStep(value, Strength(value).label, _STRENGTH_DEFINITIONS[value], level + 1)
    for level, value in reversed(list(enumerate(STRENGTH_ORDER)))
)


@dataclass(frozen=True)
class CostStep:
    value: str
    label: Promise | str
    definition: Promise | str
    level: int


COST_BANDS: tuple[CostStep, ...] = (
    CostStep(CostBand.LOW, CostBand.LOW.label, _("Under £500 per child or family."), 1),
    CostStep(
        CostBand.MEDIUM_LOW, CostBand.MEDIUM_LOW.label, _("£500 to £1,999 per child or family."), 2
    ),
    CostStep(CostBand.MEDIUM, CostBand.MEDIUM.label, _("£2,000 to £4,999 per child or family."), 3),
    CostStep(
        CostBand.MEDIUM_HIGH,
        CostBand.MEDIUM_HIGH.label,
        _("£5,000 to £9,999 per child or family."),
        4,
    ),
    CostStep(CostBand.HIGH, CostBand.HIGH.label, _("£10,000 or more per child or family."), 5),
)

EFFECTIVENESS_BY_VALUE = {step.value: step for step in EFFECTIVENESS_SCALE}
STRENGTH_BY_VALUE = {step.value: step for step in STRENGTH_SCALE}
COST_BY_VALUE = {step.value: step for step in COST_BANDS}
