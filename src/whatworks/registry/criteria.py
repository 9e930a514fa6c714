"""Success criteria as they will be judged, and whether they can be judged at all.

:func:`explain` says in words what :func:`whatworks.registry.verdicts.judge` will do with a
result, so that a team reads, before registering, exactly what "met" will mean.
:func:`criteria_problems` refuses criteria that no result could ever decide, or that every
result would meet: a threshold outside the range the statistic can take (a risk ratio of
-0.5, an AUC of 1.2) or at the very edge of it in the direction that makes it trivially true
(an AUC of at least 0).  The statistic is free text; it is recognised by its usual names
below, and a statistic that is not recognised is not range-checked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from whatworks.registry.protocol import Comparison, Criterion, ProtocolContent, format_number


@dataclass(frozen=True)
class StatisticRange:
    """The values a statistic can take: ``low`` to ``high``; ``open_low`` excludes ``low``."""

    name: str
    low: float
    high: float
    open_low: bool = False
    hint: str = ""

    def describe(self) -> str:
        if math.isinf(self.high):
            return (
                f"above {format_number(self.low)}"
                if self.open_low
                else (f"at least {format_number(self.low)}")
            )
        return f"between {format_number(self.low)} and {format_number(self.high)}"


_PROPORTION = "a proportion, between 0 and 1"
#: Recognised statistics, most specific first: (pattern on the lower-cased name, range).
_RANGES: tuple[tuple[str, StatisticRange], ...] = (
    (
        r"\b(risk|rate|odds|hazard)[ -]ratio\b|\brelative risk\b|\b(rr|hr|irr)\b",
        StatisticRange("ratio", 0, math.inf, open_low=True, hint="1 means no difference"),
    ),
    (
        r"\brisk difference\b|\bdifference in (proportions|risks?)\b|\bpercentage[- ]point",
        StatisticRange("risk difference", -1, 1, hint="0 means no difference"),
    ),
    (r"\bcorrelation\b|\bpearson\b|\bspearman\b|\bkappa\b", StatisticRange("correlation", -1, 1)),
    (
        r"\bauc\b|\broc\b|\bc[- ]statistic\b|\bprecision\b|\brecall\b|\bsensitivity\b|"
        r"\bspecificity\b|\baccuracy\b|\bppv\b|\bnpv\b|\bpositive predictive value\b|"
        r"\bnegative predictive value\b|\bproportion\b|\bprobability\b|\bbrier\b",
        StatisticRange("proportion", 0, 1, hint=_PROPORTION),
    ),
)


def statistic_range(statistic: str) -> StatisticRange | None:
    name = statistic.lower()
    for pattern, found in _RANGES:
        if re.search(pattern, name):
            return found
    return None


def explain(criterion: Criterion, outcome_name: str | None = None) -> str:
    """How a result will be judged against this criterion, in words."""
    stat = f"the {criterion.statistic} for {outcome_name or criterion.outcome}"
    t = format_number(criterion.threshold)
    if criterion.comparison == Comparison.AT_LEAST:
        return (
            f"Met when the whole interval of {stat} is at or above {t}; not met when the "
            f"whole interval is below {t}; inconclusive when the interval straddles {t}. "
            "A value reported without an interval is compared directly."
        )
    if criterion.comparison == Comparison.AT_MOST:
        return (
            f"Met when the whole interval of {stat} is at or below {t}; not met when the "
            f"whole interval is above {t}; inconclusive when the interval straddles {t}. "
            "A value reported without an interval is compared directly."
        )
    return (
        f"Met when the interval of {stat} excludes {t}, in either direction; inconclusive "
        f"when it includes {t}. It needs an interval, and it is never “not met”."
    )


def criteria_problems(content: ProtocolContent) -> list[str]:
    """Criteria that cannot be judged, each naming its row; every problem at once."""
    problems = []
    names = content.outcome_names()
    for number, criterion in enumerate(content.success_criteria.criteria, start=1):
        where = f"Criterion {number} ({criterion.statistic} of {names.get(criterion.outcome)})"
        found = statistic_range(criterion.statistic)
        t = criterion.threshold
        if not math.isfinite(t):
            problems.append(
                _("%(where)s: the threshold must be a finite number.") % {"where": where}
            )
            continue
        if found is None:
            continue
        hint = f" ({found.hint})" if found.hint else ""
        below = t < found.low or (found.open_low and t == found.low)
        if below or t > found.high:
            problems.append(
                _(
                    "%(where)s: a %(name)s is always %(describe)s%(hint)s, so a "
                    "threshold of %(t)s can never be judged. Choose a threshold "
                    "in that range."
                )
                % {
                    "where": where,
                    "name": found.name,
                    "describe": found.describe(),
                    "hint": hint,
                    "t": format_number(t),
                }
            )
            continue
        at_least_low = criterion.comparison == Comparison.AT_LEAST and t == found.low
        at_most_high = criterion.comparison == Comparison.AT_MOST and t == found.high
        if at_least_low or at_most_high:
            problems.append(
                _(
                    "%(where)s: every possible result meets this, so it decides "
                    "nothing. Choose a threshold that a result could fail."
                )
                % {"where": where}
            )
    return problems


def explained(content: ProtocolContent) -> list[tuple[Criterion, str]]:
    """Each criterion of the protocol with how it will be judged."""
    names = content.outcome_names()
    return [(c, explain(c, names.get(c.outcome))) for c in content.success_criteria.criteria]
