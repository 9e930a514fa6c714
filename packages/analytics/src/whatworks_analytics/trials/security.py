"""A security-of-findings rating in the style of the EEF's padlocks, with its reasons.

Source: Education Endowment Foundation, *Classifying the security of EEF findings* (the
2019 revision of the padlock classification used in EEF evaluation reports).  Its table
gives, for 0 to 5 padlocks, a band for the design, the minimum detectable effect size at
randomisation and the attrition; the initial rating is the lowest of the three, and
reviewers then take padlocks away for baseline imbalance and for threats to validity.

**The bands below are as this project understood that table; they could not be checked
against the published document while this module was written (no copy was reachable
offline), so treat them as to be confirmed before a rating is published as the EEF's own.**
They are kept in one place (:data:`MDES_BANDS`, :data:`ATTRITION_BANDS`) so that a
correction is a one-line change, and every rating carries :data:`RULES_VERSION`.

* Design: this module rates randomised trials only (5 for the design); a non-randomised
  comparison is outside what the analysis computes.
* MDES at randomisation (at 80% power, two-sided 5%): at most 0.2 -> 5, 0.3 -> 4, 0.4 -> 3,
  0.5 -> 2, 0.6 -> 1, larger -> 0.
* Attrition (overall, from randomisation to analysis): at most 10% -> 5, 20% -> 4, 30% -> 3,
  40% -> 2, 50% -> 1, more -> 0.
* Imbalance: the EEF leaves the size of the drop to its reviewers.  This platform's rule,
  declared here and not the EEF's: one padlock off when a baseline measure fails the What
  Works Clearinghouse's equivalence threshold (above 0.25 SD), or lies between 0.05 and 0.25
  SD without the analysis adjusting for it.
* Threats to validity (reviewers' judgements, such as contamination or a change of
  primary outcome): one padlock off for each threat the caller names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from whatworks_analytics.trials.analysis import Balance, BalanceCategory

__all__ = [
    "ATTRITION_BANDS",
    "MDES_BANDS",
    "RULES_VERSION",
    "Reason",
    "SecurityRating",
    "security_rating",
]

RULES_VERSION = "eef-2019-as-understood-1"

#: (upper bound inclusive, padlocks) for the MDES at randomisation, best first.
MDES_BANDS: tuple[tuple[float, int], ...] = ((0.2, 5), (0.3, 4), (0.4, 3), (0.5, 2), (0.6, 1))
#: (upper bound inclusive, padlocks) for overall attrition as a share, best first.
ATTRITION_BANDS: tuple[tuple[float, int], ...] = (
    (0.10, 5),
    (0.20, 4),
    (0.30, 3),
    (0.40, 2),
    (0.50, 1),
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of the rating: what was judged, the padlocks it allows or takes, and why."""

    criterion: str
    padlocks: int
    text: str


@dataclass(frozen=True, slots=True)
class SecurityRating:
    padlocks: int
    reasons: tuple[Reason, ...]
    rules_version: str = RULES_VERSION


def _band(value: float, bands: Sequence[tuple[float, int]]) -> int:
    for upper, padlocks in bands:
        if value <= upper + 1e-12:
            return padlocks
    return 0


def security_rating(
    *,
    mdes: float | None,
    attrition: float,
    baseline: Sequence[Balance] = (),
    threats: Sequence[str] = (),
    randomised: bool = True,
) -> SecurityRating:
    """Rate a trial's findings from 0 to 5 padlocks (see the module for the rules)."""
    reasons: list[Reason] = []
    design = 5 if randomised else 0
    reasons.append(
        Reason(
            "design",
            design,
            "randomised controlled trial"
            if randomised
            else "not randomised: this rating covers randomised trials only",
        )
    )
    if mdes is None:
        mdes_padlocks = 0
        reasons.append(Reason("mdes", 0, "no minimum detectable effect could be computed"))
    else:
        mdes_padlocks = _band(mdes, MDES_BANDS)
        reasons.append(
            Reason("mdes", mdes_padlocks, f"minimum detectable effect at randomisation {mdes:.2f}")
        )
    attrition_padlocks = _band(attrition, ATTRITION_BANDS)
    reasons.append(
        Reason("attrition", attrition_padlocks, f"overall attrition {attrition * 100:.1f}%")
    )
    padlocks = min(design, mdes_padlocks, attrition_padlocks)
    reasons.append(Reason("initial", padlocks, "the lowest of design, MDES and attrition"))
    imbalanced = [
        item
        for item in baseline
        if item.category in (BalanceCategory.NOT_SATISFIED, BalanceCategory.REQUIRES_ADJUSTMENT)
    ]
    if imbalanced and padlocks > 0:
        padlocks -= 1
        named = ", ".join(
            f"{item.variable} ({item.effect_size:+.2f} SD)"
            for item in imbalanced
            if item.effect_size is not None
        )
        reasons.append(
            Reason("imbalance", -1, f"baseline imbalance beyond the WWC thresholds: {named}")
        )
    elif baseline:
        reasons.append(Reason("imbalance", 0, "baseline equivalence satisfied"))
    for threat in threats:
        if padlocks > 0:
            padlocks -= 1
        reasons.append(Reason("threat", -1, threat))
    return SecurityRating(padlocks=padlocks, reasons=tuple(reasons))
