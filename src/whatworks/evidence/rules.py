"""The rating rules: what the evidence says each outcome's two ratings should be.

This module is the rules.  "Our ratings explained" is rendered from the definitions and
thresholds here (:func:`effectiveness_definitions`, :func:`strength_definitions`), the rating
form shows what :func:`rules_rating` gives, and a rating that departs from it needs a written
reason (see ``services.rating_set``).  Change :data:`RULES_VERSION` whenever a threshold or
a definition here changes; every rating records the version it was made under.

The functions are pure: they take plain dataclasses (:class:`PooledEstimate`,
:class:`StudyFacts`), never ORM objects, so that each rule is tested on a hand-made case.

**How big (effectiveness)** is judged from the headline pooled estimate (random effects,
REML) of the outcome's pre-specified findings, turned so that "better" has one direction:
a standardised mean difference *g* becomes ``g`` when a higher score is better and ``-g``
when lower is better; a risk or odds ratio *r* becomes ``r`` when the outcome is something to
avoid (lower is better) and ``1/r`` otherwise, so that a benefit is always below 1.

**How sure (strength of evidence)** is judged from the designs, risk of bias, countries and
sizes of the studies with pre-specified findings for the outcome, and from the
heterogeneity (I²) of the pooled estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from whatworks.evidence.models import (
    Effectiveness,
    EffectMeasure,
    RiskOfBias,
    Strength,
    StudyDesign,
)

RULES_VERSION = "2026.2"

#: Standardised mean difference (turned so that positive is better): the lower bound of each
#: benefit step; between -SMD_NONE and SMD_NONE is "no meaningful difference".
SMD_LARGE = 0.5
SMD_MODERATE = 0.2
SMD_SMALL = 0.05
#: Risk or odds ratio (turned so that below 1 is better): the upper bound of each benefit step;
#: from RATIO_SMALL to 1 / RATIO_SMALL is "no meaningful difference".
RATIO_LARGE = 0.6
RATIO_MODERATE = 0.85
RATIO_SMALL = 0.95

#: Strength of evidence.
STRONG_MIN_TRIALS = 2
STRONG_MIN_CHILDREN = 400
STRONG_MAX_I2 = 50.0
MODERATE_MAX_I2 = 75.0
MODERATE_MIN_COMPARISONS = 2
TRIAL_DESIGNS = frozenset({StudyDesign.RCT.value, StudyDesign.CLUSTER_RCT.value})
COMPARISON_DESIGNS = TRIAL_DESIGNS | {StudyDesign.QUASI.value}
ANY_COMPARISON_DESIGNS = COMPARISON_DESIGNS | {StudyDesign.COHORT.value}
UK_COUNTRIES = frozenset(
    {"uk", "united kingdom", "great britain", "england", "scotland", "wales", "northern ireland"}
)

EFFECTIVENESS_ORDER = (
    Effectiveness.HARM.value,
    Effectiveness.NONE.value,
    Effectiveness.SMALL.value,
    Effectiveness.MODERATE.value,
    Effectiveness.LARGE.value,
)
STRENGTH_ORDER = (
    Strength.VERY_LIMITED.value,
    Strength.LIMITED.value,
    Strength.MODERATE.value,
    Strength.STRONG.value,
)
_MEASURE_ORDER = (EffectMeasure.SMD, EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.GENERIC)


@dataclass(frozen=True)
class PooledEstimate:
    """One pooled result of an outcome: the headline estimate on the pooling scale (log scale
    for ratios), the number of studies and I² (per cent)."""

    measure: str
    estimate: float
    higher_is_better: bool
    k: int
    i2: float


@dataclass(frozen=True)
class StudyFacts:
    """What the strength rules need to know about one study."""

    design: str
    risk_of_bias: str
    country: str
    sample_size: int


@dataclass(frozen=True)
class RulesRating:
    """What the rules give.  ``effectiveness`` is "" when the rules cannot judge the size
    (no pooled estimate on a scale the rules know); each ``*_why`` says which rule applied."""

    effectiveness: str
    effectiveness_why: str
    strength: str
    strength_why: str
    pooled: PooledEstimate | None


def headline_estimate(pooled: Sequence[PooledEstimate]) -> PooledEstimate | None:
    """The pooled result the effectiveness rule reads when an outcome has several (different
    measures or directions): the one with the most studies, then SMD, RR, OR, generic."""
    if not pooled:
        return None
    return min(pooled, key=lambda p: (-p.k, _MEASURE_ORDER.index(EffectMeasure(p.measure))))


def effectiveness_for(pooled: PooledEstimate | None) -> tuple[str, str]:
    """(effectiveness value or "", why) for a pooled estimate."""
    if pooled is None:
        return "", "No pre-specified findings for this outcome have been pooled."
    if pooled.measure == EffectMeasure.SMD:
        g = pooled.estimate if pooled.higher_is_better else -pooled.estimate
        shown = f"a standardised mean difference of {pooled.estimate:.2f}"
        if g >= SMD_LARGE:
            value = Effectiveness.LARGE
        elif g >= SMD_MODERATE:
            value = Effectiveness.MODERATE
        elif g >= SMD_SMALL:
            value = Effectiveness.SMALL
        elif g > -SMD_SMALL:
            value = Effectiveness.NONE
        else:
            value = Effectiveness.HARM
    elif pooled.measure in (EffectMeasure.RR, EffectMeasure.OR):
        ratio = math.exp(pooled.estimate)
        turned = ratio if not pooled.higher_is_better else 1 / ratio
        name = "risk ratio" if pooled.measure == EffectMeasure.RR else "odds ratio"
        shown = f"a pooled {name} of {ratio:.2f}"
        if turned <= RATIO_LARGE:
            value = Effectiveness.LARGE
        elif turned <= RATIO_MODERATE:
            value = Effectiveness.MODERATE
        elif turned <= RATIO_SMALL:
            value = Effectiveness.SMALL
        elif turned < 1 / RATIO_SMALL:
            value = Effectiveness.NONE
        else:
            value = Effectiveness.HARM
    else:
        return "", (
            "The pooled effect sizes were reported on a scale the rules do not know "
            "(generic effect sizes), so the rules cannot judge their size."
        )
    direction = "higher is better" if pooled.higher_is_better else "lower is better"
    studies = f"{pooled.k} stud{'y' if pooled.k == 1 else 'ies'}"
    return value.value, f"From {shown} ({direction}) over {studies}: {value.label}."


def _is_uk(country: str) -> bool:
    return country.strip().lower() in UK_COUNTRIES


def strength_for(studies: Sequence[StudyFacts], pooled: PooledEstimate | None) -> tuple[str, str]:
    """(strength value, why) for the studies with pre-specified findings for an outcome."""
    i2 = pooled.i2 if pooled is not None and pooled.k > 1 else 0.0
    low = RiskOfBias.LOW.value
    trials = [s for s in studies if s.design in TRIAL_DESIGNS and s.risk_of_bias == low]
    children = sum(s.sample_size for s in trials)
    uk = sum(1 for s in trials if _is_uk(s.country))
    if (
        len(trials) >= STRONG_MIN_TRIALS
        and uk >= 1
        and i2 < STRONG_MAX_I2
        and children >= STRONG_MIN_CHILDREN
    ):
        return Strength.STRONG.value, (
            f"{len(trials)} randomised trials at low risk of bias ({uk} in the UK, "
            f"{children} children), I² {i2:.0f}%."
        )
    good = [s for s in studies if s.design in COMPARISON_DESIGNS and s.risk_of_bias == low]
    if trials:
        why = f"{len(trials)} randomised trial{'s' if len(trials) > 1 else ''} at low risk of bias"
        missing = _strong_missing(len(trials), uk, i2, children)
        return Strength.MODERATE.value, f"{why}; not strong because {missing}."
    if len(good) >= MODERATE_MIN_COMPARISONS and i2 < MODERATE_MAX_I2:
        return Strength.MODERATE.value, (
            f"{len(good)} comparison studies at low risk of bias, I² {i2:.0f}%."
        )
    usable = [
        s
        for s in studies
        if s.design in ANY_COMPARISON_DESIGNS and s.risk_of_bias != RiskOfBias.HIGH.value
    ]
    if usable:
        return Strength.LIMITED.value, (
            f"{len(usable)} comparison stud{'y' if len(usable) == 1 else 'ies'}, none a "
            "randomised trial at low risk of bias"
            + (f", and results vary (I² {i2:.0f}%)." if i2 >= MODERATE_MAX_I2 else ".")
        )
    if not studies:
        return Strength.VERY_LIMITED.value, "No studies with pre-specified findings."
    return Strength.VERY_LIMITED.value, (
        "Only before-and-after studies, or studies at high risk of bias."
    )


def _strong_missing(trials: int, uk: int, i2: float, children: int) -> str:
    reasons = []
    if trials < STRONG_MIN_TRIALS:
        reasons.append(
            _("strong needs %(strong_min_trials)s or more such trials")
            % {"strong_min_trials": STRONG_MIN_TRIALS}
        )
    if uk < 1:
        reasons.append(_("none was in the UK"))
    if i2 >= STRONG_MAX_I2:
        reasons.append(_("results vary (I² %(i2)s%%)") % {"i2": format(i2, ".0f")})
    if children < STRONG_MIN_CHILDREN:
        reasons.append(
            _("they include %(children)s children, fewer than %(strong_min_children)s")
            % {"children": children, "strong_min_children": STRONG_MIN_CHILDREN}
        )
    return " and ".join(reasons)


def rules_rating(*, pooled: Sequence[PooledEstimate], studies: Sequence[StudyFacts]) -> RulesRating:
    """What the rules give for one outcome of one intervention."""
    headline = headline_estimate(pooled)
    effectiveness, effectiveness_why = effectiveness_for(headline)
    strength, strength_why = strength_for(studies, headline)
    return RulesRating(effectiveness, effectiveness_why, strength, strength_why, headline)


@dataclass(frozen=True)
class Departure:
    """How a rating departs from the rules: for each part, "above", "below" or ""."""

    effectiveness: str
    strength: str

    def __bool__(self) -> bool:
        return bool(self.effectiveness or self.strength)


def _compare(order: tuple[str, ...], chosen: str, rules: str) -> str:
    if not rules or chosen == rules:
        return ""
    return "above" if order.index(chosen) > order.index(rules) else "below"


def departure(*, effectiveness: str, strength: str, rules: RulesRating) -> Departure:
    """Whether (and which way) a chosen rating departs from what the rules give.  When the
    rules cannot judge the size, any effectiveness rating departs from them ("unrated")."""
    size = (
        _compare(EFFECTIVENESS_ORDER, effectiveness, rules.effectiveness)
        if rules.effectiveness
        else "without"
    )
    return Departure(size, _compare(STRENGTH_ORDER, strength, rules.strength))


# --- the published definitions ("our ratings explained" renders these) ---------------------


def _n(value: float) -> str:
    return f"{value:g}"


def effectiveness_definitions() -> dict[str, str]:
    up = {name: 1 / value for name, value in (("l", RATIO_LARGE), ("m", RATIO_MODERATE))}
    small_up = 1 / RATIO_SMALL
    return {
        Effectiveness.LARGE.value: (
            f"The pooled estimate is a large improvement: a standardised mean difference of "
            f"{_n(SMD_LARGE)} or more in the better direction, or a risk or odds ratio of "
            f"{_n(RATIO_LARGE)} or less for something to avoid ({up['l']:.2f} or more for "
            "something wanted)."
        ),
        Effectiveness.MODERATE.value: (
            f"The pooled estimate is a moderate improvement: a standardised mean difference "
            f"from {_n(SMD_MODERATE)} up to {_n(SMD_LARGE)}, or a ratio above {_n(RATIO_LARGE)} "
            f"up to {_n(RATIO_MODERATE)} (from {up['m']:.2f} up to {up['l']:.2f})."
        ),
        Effectiveness.SMALL.value: (
            f"The pooled estimate is a small improvement: a standardised mean difference from "
            f"{_n(SMD_SMALL)} up to {_n(SMD_MODERATE)}, or a ratio above {_n(RATIO_MODERATE)} "
            f"up to {_n(RATIO_SMALL)} (from {small_up:.2f} up to {up['m']:.2f})."
        ),
        Effectiveness.NONE.value: (
            f"The pooled estimate is close to no difference: a standardised mean difference "
            f"between -{_n(SMD_SMALL)} and {_n(SMD_SMALL)}, or a ratio between "
            f"{_n(RATIO_SMALL)} and {small_up:.2f}."
        ),
        Effectiveness.HARM.value: (
            "The pooled estimate is that children or families did worse than without it, by "
            "more than the band of no meaningful difference."
        ),
    }


def strength_definitions() -> dict[str, str]:
    return {
        Strength.STRONG.value: (
            f"{STRONG_MIN_TRIALS} or more randomised trials at low risk of bias, at least one "
            f"of them in the UK, with consistent results (I² below {_n(STRONG_MAX_I2)}%) and "
            f"at least {STRONG_MIN_CHILDREN} children between them."
        ),
        Strength.MODERATE.value: (
            "At least one randomised trial at low risk of bias, or "
            f"{MODERATE_MIN_COMPARISONS} or more comparison studies (trials or "
            f"quasi-experimental) at low risk of bias with mostly consistent results (I² below "
            f"{_n(MODERATE_MAX_I2)}%)."
        ),
        Strength.LIMITED.value: (
            "Comparison studies (trials, quasi-experimental or cohort studies) without a high "
            "risk of bias, but with some concerns about bias, or results that vary: the true "
            "effect could be quite different."
        ),
        Strength.VERY_LIMITED.value: (
            "Only before-and-after studies, or studies at high risk of bias: we cannot tell "
            "whether it works."
        ),
    }


RULES_NOTES: tuple[str, ...] = (
    "The studies counted are those with pre-specified findings for the outcome; exploratory "
    "findings are shown but neither pooled nor counted.",
    "When an outcome has several pooled results (different measures), the one with the most "
    "studies sets the size.",
    "Generic effect sizes, whose scale the rules do not know, get no size from the rules.",
    "A rating may depart from what the rules give only with a written reason, which is shown "
    "beside the rating.",
)
