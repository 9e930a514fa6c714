"""One plain sentence per pooled result: how big, in figures people use, and how sure.

For events (risk and odds ratios) the pooled ratio is applied to a stated baseline: the
risk in the pooled studies' comparison groups (their events over their children or
families), e.g. "Child entered care: about 22 in 100 with the intervention, compared with 25
in 100 without it".  For scores (Hedges' g) the translation is Cohen's U3: "the average child
or family with the intervention did better than about 62 in 100 of those without it".  When
the 95% confidence interval includes no difference, the headline says "this could be no
effect".  The arithmetic is :mod:`whatworks_analytics.meta.absolute`, reached through the
Evidence Store's adapter (:mod:`whatworks.evidence.analytics`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from whatworks.evidence.analytics import risk_with, u3
from whatworks.evidence.models import Finding, OutcomeDomain


@dataclass(frozen=True)
class Headline:
    #: The plain figure: "Child entered care: about 22 in 100 with the intervention, ...".
    sentence: str
    #: The 95% confidence interval in the same terms, or "".
    interval: str
    #: Where the baseline comes from (events), or what 50 in 100 means (scores), or "".
    basis: str
    #: The 95% confidence interval includes no difference.
    could_be_none: bool


def _per(risk: float, scale: int) -> str:
    return f"{round(risk * scale):,}"


def _subject(findings: Sequence[Finding], domain: str) -> str:
    """What was measured: the outcome measure the pooled findings share, else the domain."""
    measures = Counter(f.outcome_measure.strip() for f in findings if f.outcome_measure.strip())
    if len(measures) == 1:
        return next(iter(measures))
    return str(OutcomeDomain(domain).label)


def headline(
    *,
    measure: str,
    domain: str,
    higher_is_better: bool,
    estimate: float,
    ci_low: float,
    ci_high: float,
    findings: Sequence[Finding],
) -> Headline:
    """The headline of one pooled result.  ``estimate`` and the interval are on the natural
    scale (ratios for RR and OR); ``findings`` are the pooled ones (one per study)."""
    subject = _subject(findings, domain)
    if measure in ("RR", "OR"):
        could_be_none = ci_low <= 1.0 <= ci_high
        events = sum(f.events_control or 0 for f in findings)
        children = sum(f.n_control for f in findings if f.events_control is not None)
        if not children:
            return Headline(
                f"{subject}: the studies do not give the comparison groups' numbers, so we "
                "cannot put this in figures.",
                "",
                "",
                could_be_none,
            )
        baseline = events / children
        scale = 1000 if 0 < baseline < 0.05 else 100
        with_it = risk_with(baseline, estimate, measure=measure)
        low = risk_with(baseline, ci_low, measure=measure)
        high = risk_with(baseline, ci_high, measure=measure)
        return Headline(
            f"{subject}: about {_per(with_it, scale)} in {scale:,} with the intervention, "
            f"compared with {_per(baseline, scale)} in {scale:,} without it.",
            f"The 95% confidence interval is {_per(low, scale)} to {_per(high, scale)} in "
            f"{scale:,}.",
            f"Without it: {events:,} of {children:,} in the studies' comparison groups, the "
            "baseline we apply the pooled "
            + ("risk" if measure == "RR" else "odds")
            + " ratio to.",
            could_be_none,
        )
    could_be_none = ci_low <= 0.0 <= ci_high
    if measure == "SMD":
        share = u3(estimate, higher_is_better=higher_is_better)
        bounds = sorted(u3(v, higher_is_better=higher_is_better) for v in (ci_low, ci_high))
        return Headline(
            f"{subject}: the average child or family with the intervention did better than "
            f"about {_per(share, 100)} in 100 of those without it.",
            f"The 95% confidence interval is {_per(bounds[0], 100)} to {_per(bounds[1], 100)} "
            "in 100.",
            "50 in 100 would mean no difference (Cohen's U3, from the pooled standardised "
            "mean difference).",
            could_be_none,
        )
    return Headline(
        f"{subject}: the studies report this outcome on scales of their own, so there is no "
        "plain translation; see the pooled effect below.",
        "",
        "",
        could_be_none,
    )
