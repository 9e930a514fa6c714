"""The published scales: effectiveness (how big), strength of evidence (how sure), cost bands.

"Our ratings explained" shows these definitions; every rating records the
:data:`RULES_VERSION` it was made under.  Change the version when the rules change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from whatworks.evidence.models import CostBand, Effectiveness, Strength

RULES_VERSION = "2026.1"


@dataclass(frozen=True)
class ScaleStep:
    value: str
    label: Promise | str
    definition: Promise | str
    level: int  # for the visual marker: number of filled blocks / dots


EFFECTIVENESS_SCALE: tuple[ScaleStep, ...] = (
    ScaleStep(
        Effectiveness.LARGE,
        Effectiveness.LARGE.label,
        _(
            "The best estimate is a large improvement: a standardised mean difference of 0.5 "
            "or more, or a risk ratio of 0.6 or less (or 1.67 or more) in the better direction."
        ),
        4,
    ),
    ScaleStep(
        Effectiveness.MODERATE,
        Effectiveness.MODERATE.label,
        _(
            "The best estimate is a moderate improvement: a standardised mean difference from "
            "0.2 to 0.5, or a risk ratio from 0.6 to 0.85 (or 1.18 to 1.67)."
        ),
        3,
    ),
    ScaleStep(
        Effectiveness.SMALL,
        Effectiveness.SMALL.label,
        _(
            "The best estimate is a small improvement: a standardised mean difference from "
            "0.05 to 0.2, or a risk ratio from 0.85 to 0.95 (or 1.05 to 1.18)."
        ),
        2,
    ),
    ScaleStep(
        Effectiveness.NONE,
        Effectiveness.NONE.label,
        _("The best estimate is close to no difference, in either direction."),
        1,
    ),
    ScaleStep(
        Effectiveness.HARM,
        Effectiveness.HARM.label,
        _("The best estimate is that children or families did worse than without it."),
        0,
    ),
)

STRENGTH_SCALE: tuple[ScaleStep, ...] = (
    ScaleStep(
        Strength.STRONG,
        Strength.STRONG.label,
        _(
            "Two or more randomised trials at low risk of bias, including one in the UK, "
            "with consistent results and enough children to rule out chance."
        ),
        4,
    ),
    ScaleStep(
        Strength.MODERATE,
        Strength.MODERATE.label,
        _(
            "At least one well-conducted randomised trial, or several good comparison "
            "studies, with mostly consistent results."
        ),
        3,
    ),
    ScaleStep(
        Strength.LIMITED,
        Strength.LIMITED.label,
        _(
            "Comparison studies with some concerns about bias, small samples or "
            "inconsistent results; the true effect could be quite different."
        ),
        2,
    ),
    ScaleStep(
        Strength.VERY_LIMITED,
        Strength.VERY_LIMITED.label,
        _(
            "Only before-and-after studies, or studies at high risk of bias: we cannot tell "
            "whether it works."
        ),
        1,
    ),
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
