"""People's words for the codes of a pilot's groups, for reports and charts.

The contract's codes (``la_services``, ``10_to_15``, ``plan_or_care``) stay in the bundle;
whatever a person reads says ``Local authority services…``, ``10 to 15``, ``An earlier plan
or care episode``.  Intersections (``sex & age_band`` / ``male & 10_to_15``) are labelled
part by part.
"""

from __future__ import annotations

from whatworks_analytics.pilots.circumstances import DIMENSIONS
from whatworks_analytics.pilots.schema import (
    DISABILITY_CODES,
    ETHNICITY_CODES,
    REFERRAL_SOURCE_CODES,
    SEX_CODES,
)

AGE_BANDS = {
    "unborn": "Unborn",
    "under_1": "Under 1",
    "1_to_4": "1 to 4",
    "5_to_9": "5 to 9",
    "10_to_15": "10 to 15",
    "16_plus": "16 and over",
}
PRIOR_INVOLVEMENT = {
    "none": "No earlier referral",
    "referred": "Earlier referrals, none assessed",
    "assessed": "An earlier assessment",
    "s47": "An earlier section 47 enquiry",
    "plan_or_care": "An earlier plan or care episode",
}
_SOURCES = {c.code: c.label for c in REFERRAL_SOURCE_CODES}
GROUPS: dict[str, dict[str, str]] = {
    "sex": {c.code: c.label for c in SEX_CODES},
    "ethnicity": {c.code: c.label for c in ETHNICITY_CODES},
    "disability": {c.code: c.label for c in DISABILITY_CODES},
    "source": _SOURCES,
    "referral_source": _SOURCES,
    "age_band": AGE_BANDS,
    "prior_involvement": PRIOR_INVOLVEMENT,
}
# The circumstances table names its dimensions in words ("referral source"): the same codes.
for _key, _name in DIMENSIONS:
    if _key in GROUPS:
        GROUPS[_name] = GROUPS[_key]

DIMENSION_NAMES = {
    **dict(DIMENSIONS),
    "sex": "sex",
    "ethnicity": "ethnicity",
    "disability": "disability",
    "referral_source": "referral source",
}


def _words(code: str) -> str:
    text = code.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def dimension_label(dimension: str) -> str:
    """ "age_band" -> "age band"; "sex & age_band" -> "sex & age band"."""
    return " & ".join(
        DIMENSION_NAMES.get(part, _words(part).lower()) for part in dimension.split(" & ")
    )


def group_label(dimension: str, group: str) -> str:
    """ "age_band", "10_to_15" -> "10 to 15"; unknown codes lose their underscores."""
    dims, groups = dimension.split(" & "), group.split(" & ")
    if len(dims) != len(groups):
        dims = [dimension] * len(groups)
    return " & ".join(
        GROUPS.get(d, {}).get(g, _words(g) if "_" in g else g)
        for d, g in zip(dims, groups, strict=True)
    )


def labelled(dimension: str, group: str) -> str:
    """ "age band: 10 to 15"."""
    return f"{dimension_label(dimension)}: {group_label(dimension, group)}"
