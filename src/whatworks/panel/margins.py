"""Why a poll's margins of error are wide, in words, for the results page.

Reads only.  The reasons come from the weighting's own diagnostics: whether raking
converged, how much the weights vary (Kish's design effect and effective sample size), and
which workforce groups answered far less than their share (they are weighted up).
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from whatworks.panel import analytics
from whatworks.panel.results import MarginRow, PollResults

#: A design effect from this much on is called out: the effective sample is a third smaller.
WIDE_DESIGN_EFFECT = 1.5
#: A group that answered less than this fraction of its workforce share is named.
UNDER_REPRESENTED = 0.5


def under_represented(rows: list[MarginRow]) -> list[MarginRow]:
    return [
        m
        for m in rows
        if not m.suppressed and m.target > 0 and m.unweighted < UNDER_REPRESENTED * m.target
    ]


def wide_margin_reasons(results: PollResults) -> list[str]:
    """Sentences saying why the margins are wide (empty when nothing stands out)."""
    weighting = results.weighting
    if not weighting.available:
        return []
    d = weighting.diagnostics()
    reasons = []
    if not d.get("converged", True):
        reasons.append(
            _(
                "The weighting did not converge: even with weights capped at %(cap)s times the "
                "average, the respondents cannot be made to match every workforce margin "
                "(the largest gap is %(gap)s points), so the weighted figures may still be "
                "biased towards the groups that answered most."
            )
            % {
                "cap": f"{d.get('trim') or 0:.0f}",
                "gap": f"{100 * d.get('max_margin_error', 0):.1f}",
            }
        )
    deff = float(d.get("design_effect") or math.nan)
    if deff >= WIDE_DESIGN_EFFECT or not d.get("converged", True):
        n = int(d.get("n") or 0)
        n_eff = float(d.get("effective_sample_size") or 0)
        plain = analytics.margin_of_error(effective_n=n)
        reasons.append(
            _(
                "The weights vary a lot (design effect %(deff)s): the %(n)s weighted responses "
                "carry as much information as a simple random sample of about %(neff)s, so the "
                "margin of error is ±%(moe)s points instead of ±%(plain)s."
            )
            % {
                "deff": f"{deff:.2f}",
                "n": f"{n:,}",
                "neff": f"{n_eff:,.0f}",
                "moe": f"{100 * d.get('margin_of_error_95', 0):.1f}",
                "plain": f"{100 * plain:.1f}",
            }
        )
    for m in under_represented(results.margins):
        reasons.append(
            _(
                "%(group)s answered less than their share: %(u)s%% of respondents against "
                "%(t)s%% of the workforce, so each of their answers counts for more."
            )
            % {"group": m.label, "u": f"{100 * m.unweighted:.1f}", "t": f"{100 * m.target:.1f}"}
        )
    return reasons
