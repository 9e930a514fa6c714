"""Which way a disparity goes, in plain words.

A ratio is a group's rate over the reference group's rate (:mod:`.disparities`), so a ratio
above 1 means the group has *more* of what the rate counts, below 1 *less*.  Whether that is
good for the group depends on the rate: a false negative rate of 0.6 times the reference's
means the group's children who go on to escalate are missed *less* often; a false discovery
rate of 1.4 times means the group's flags are wrong *more* often.  :func:`describe` says it
that way, so a reader never has to work out the direction from a ratio::

    describe("fnr", 0.62, group="asian", reference="white")
    # people in the asian group who have the outcome are missed less often than in the
    # white group (ratio 0.62)
    describe("for", 0.5, group="female", reference="male", who="children", outcome="escalate")
    # children in the female group who are not flagged escalate less often than in the male
    # group: fewer of them are missed (ratio 0.50)
"""

from __future__ import annotations

from typing import Final

__all__ = ["describe", "direction"]

#: For each rate: how to say "the group has more/less of it than the reference", with the
#: placeholders ``{who}``, ``{in_g}`` (in the g group), ``{outcome}``, ``{dir}`` (more / less /
#: as), ``{fewer}`` (more / fewer / as many) and ``{than_ref}`` (than in the r group).
_PHRASES: Final[dict[str, str]] = {
    "base_rate": "{who} {in_g} {outcome} {dir} often {than_ref}",
    "selection_rate": "{who} {in_g} are flagged {dir} often {than_ref}",
    "fpr": "{who} {in_g} who do not {outcome} are wrongly flagged {dir} often {than_ref}",
    "fnr": "{who} {in_g} who {outcome} are missed {dir} often {than_ref}",
    "precision": "flags for {who} {in_g} are right {dir} often {than_ref}",
    "npv": "{who} {in_g} who are not flagged are rightly left unflagged {dir} often {than_ref}",
    "fdr": "flags for {who} {in_g} are wrong {dir} often {than_ref}",
    "for": "{who} {in_g} who are not flagged {outcome} {dir} often {than_ref}: "
    "{fewer} of them are missed",
}


def direction(ratio: float) -> str:
    """``"more"`` above 1, ``"less"`` below 1, ``"as"`` at 1."""
    return "more" if ratio > 1 else "less" if ratio < 1 else "as"


def describe(
    metric: str,
    ratio: float | None,
    *,
    group: str,
    reference: str | None,
    who: str = "people",
    outcome: str = "have the outcome",
) -> str:
    """One sentence saying which way ``group``'s ``metric`` differs from ``reference``'s.

    ``who`` names the people audited (``"children"``) and ``outcome`` the event, as a verb
    phrase after "who" (``"escalate"``; default ``"have the outcome"``).
    """
    if ratio is None or reference is None:
        return f"{metric} for {who} in {group} cannot be compared with a reference group"
    way = direction(ratio)
    phrase = _PHRASES.get(metric, "the " + metric + " of {who} {in_g} is {dir} high {than_ref}")
    text = phrase.format(
        who=who,
        in_g=f"in the {group} group",
        than_ref=f"{'as' if way == 'as' else 'than'} in the {reference} group",
        outcome=outcome,
        dir=way,
        fewer={"more": "more", "less": "fewer", "as": "as many"}[way],
    )
    return f"{text} (ratio {ratio:.2f})"
