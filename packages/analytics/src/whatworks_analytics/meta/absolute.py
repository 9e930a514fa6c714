"""Pooled effects as absolute figures people can read: "22 in 100, compared with 25 in 100".

For events (risk and odds ratios) the pooled ratio is applied to a stated baseline risk,
the risk without the intervention:

* risk ratio: risk with = baseline x RR;
* odds ratio: odds with = baseline / (1 - baseline) x OR, risk with = odds / (1 + odds).

This is the "absolute effect" of a GRADE summary-of-findings table (Guyatt et al., 2013,
J Clin Epidemiol 66:158, "GRADE guidelines 11"), computed from the relative effect and an
assumed comparison-group risk.  For scores (standardised mean differences) the translation
is Cohen's U3 (Cohen, 1988, *Statistical Power Analysis*, 2nd ed., section 2.2): the share of
the comparison group that the average person with the intervention did better than, Phi(g)
when a higher score is better; 50 in 100 means no difference.  The What Works
Clearinghouse's "improvement index" is U3 minus 50.
"""

from __future__ import annotations

import math

__all__ = ["risk_with", "u3"]


def risk_with(baseline: float, ratio: float, *, measure: str) -> float:
    """The risk with the intervention, from the baseline risk (0 to 1) and a pooled ratio
    on its natural scale (not the log); a risk-ratio product above 1 is capped at 1."""
    if not 0.0 <= baseline <= 1.0:
        raise ValueError(f"The baseline risk must be between 0 and 1, not {baseline}.")
    if ratio < 0 or math.isnan(ratio):
        raise ValueError(f"A ratio must be 0 or more, not {ratio}.")
    if measure == "RR":
        return min(1.0, baseline * ratio)
    if measure == "OR":
        if baseline in (0.0, 1.0):
            return baseline
        odds = baseline / (1.0 - baseline) * ratio
        return odds / (1.0 + odds)
    raise ValueError(f"Absolute risks need a risk or odds ratio, not {measure!r}.")


def u3(g: float, *, higher_is_better: bool = True) -> float:
    """Cohen's U3 for a standardised mean difference: the share (0 to 1) of the comparison
    group that the average person with the intervention did better than."""
    z = g if higher_is_better else -g
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
