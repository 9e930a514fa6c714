"""National figures the synthetic generator is calibrated to.

The figures are copied from ``england_childrens_social_care_2019.json`` (published statistics
for children's social care in England, mostly the year ending 31 March 2019) so the product
never reads files outside the package at run time.  Each figure names its source key in that
file; figures that are assumptions of this package (the statistics do not give them) say so.

Every share is keyed by the contract's code for the category (see
:mod:`whatworks_analytics.pilots.schema`), so the generator can draw codes directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def _frozen(values: dict[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(values))


def _normalised(values: dict[str, float]) -> Mapping[str, float]:
    total = sum(values.values())
    return _frozen({key: value / total for key, value in values.items()})


#: ``cin_ethnicity_counts`` (2020, children in need with known ethnicity), by contract code.
ETHNICITY_KNOWN_COUNTS: Mapping[str, int] = MappingProxyType(
    {"white": 268070, "mixed": 32940, "asian": 27650, "black": 32260, "other": 12870}
)

#: The 2013 split of child protection plan categories, used only for the shape of the
#: non-neglect categories (``cp_plan_initial_category_share.reference_2013``).
_CPP_2013 = {"neglect": 0.41, "emotional_abuse": 0.317, "physical_abuse": 0.117}
_CPP_2013_REST = 1.0 - sum(_CPP_2013.values())  # sexual abuse and multiple categories
_CPP_NON_NEGLECT_2017 = 1.0 - 0.481


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """The marginal figures the generator reproduces (shares sum to one unless noted)."""

    #: ``re_referral_rate_12_months``: share of referrals within 12 months of a previous one.
    re_referral_rate: float = 0.226

    #: ``cin_gender_share`` (children in need, 2019).
    sex_share: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"male": 0.53, "female": 0.45, "unknown": 0.02})
    )

    #: ``cin_ethnicity_counts`` turned into shares of children with known ethnicity.
    ethnicity_known_share: Mapping[str, float] = field(
        default_factory=lambda: _normalised(
            {key: float(value) for key, value in ETHNICITY_KNOWN_COUNTS.items()}
        )
    )

    #: Share of children whose ethnicity is refused or not yet obtained.  Assumption: the
    #: statistics give counts for known ethnicity only (373,790 of about 389,000-399,500
    #: children in need, i.e. 4-6% unknown).
    ethnicity_not_known_share: float = 0.05

    #: ``cin_with_disability_share`` (approximate).
    disability_share: float = 0.125

    #: Share of children whose disability status is unknown.  Assumption.
    disability_unknown_share: float = 0.03

    #: ``cin_age_band_share`` (approximate), used for the age at a child's first referral.
    #: Bands are (youngest age in years, oldest age in years, share).
    age_bands: tuple[tuple[int, int, float], ...] = (
        (0, 0, 0.05),
        (1, 4, 0.15),
        (5, 9, 0.24),
        (10, 15, 0.35),
        (16, 17, 0.20),
    )

    #: ``referral_source_share`` (2019-20, of 642,980 referrals).
    referral_source_share: Mapping[str, float] = field(
        default_factory=lambda: _normalised(
            {
                "police": 0.287,
                "schools": 0.182,
                "health": 0.15,
                "la_services": 0.141,
                "individual": 0.081,
                "other": 0.049,
                "other_legal_agency": 0.039,
                "education_services": 0.021,
                "anonymous": 0.021,
                "unknown": 0.014,
                "housing": 0.013,
            }
        )
    )

    #: ``highest_intervention_per_referral_share`` (2017, longitudinal CIN dataset): the
    #: furthest each referral went.  The generator's funnel reproduces these shares.
    highest_intervention_share: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "no_further_action": 0.216,
                "assessed_not_in_need": 0.2,
                "child_in_need": 0.332,
                "section_47": 0.116,
                "icpc": 0.017,
                "cp_plan_or_looked_after": 0.119,
            }
        )
    )

    #: ``derived_ratios.cla_starts_per_referral``: episodes of care started per referral.
    cla_starts_per_referral: float = 0.049

    #: ``derived_ratios.icpc_per_s47``: initial conferences per section 47 enquiry (a ratio
    #: of annual counts, so only a loose check on the cohort funnel).
    icpc_per_s47: float = 0.39

    #: ``factors_at_end_of_assessment_share`` (2015-16): share of completed assessments
    #: recording each factor (several per assessment).
    factor_share: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "domestic_violence": 0.496,
                "mental_health": 0.366,
                "drug_misuse": 0.193,
                "emotional_abuse": 0.193,
                "alcohol_misuse": 0.184,
                "neglect": 0.175,
                "physical_abuse": 0.14,
                "self_harm": 0.043,
                "child_sexual_exploitation": 0.039,
                "going_missing": 0.027,
                "gangs": 0.012,
            }
        )
    )

    #: ``cp_plan_initial_category_share``: neglect 48.1% (2017); the rest split in the
    #: proportions of 2013, whose remainder (sexual abuse and multiple categories) is split
    #: one third sexual abuse, two thirds multiple (assumption).
    cpp_category_share: Mapping[str, float] = field(
        default_factory=lambda: _normalised(
            {
                "neglect": 0.481,
                "emotional_abuse": _CPP_NON_NEGLECT_2017 * 0.317 / (1 - 0.41),
                "physical_abuse": _CPP_NON_NEGLECT_2017 * 0.117 / (1 - 0.41),
                "sexual_abuse": _CPP_NON_NEGLECT_2017 * _CPP_2013_REST / 3 / (1 - 0.41),
                "multiple": _CPP_NON_NEGLECT_2017 * _CPP_2013_REST * 2 / 3 / (1 - 0.41),
            }
        )
    )

    #: ``cla_legal_status_share`` (2019, children looked after at 31 March).
    cla_legal_status_share: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"care_order": 0.75, "section_20_voluntary": 0.18, "placement_order": 0.07}
        )
    )

    @property
    def ethnicity_share(self) -> Mapping[str, float]:
        """Shares of every ethnicity code, including ``not_known``."""
        known = 1.0 - self.ethnicity_not_known_share
        shares = {key: value * known for key, value in self.ethnicity_known_share.items()}
        shares["not_known"] = self.ethnicity_not_known_share
        return _frozen(shares)

    @property
    def disability_code_share(self) -> Mapping[str, float]:
        """Shares of the disability codes ``yes``, ``no`` and ``unknown``."""
        known = 1.0 - self.disability_unknown_share
        return _frozen(
            {
                "yes": self.disability_share * known,
                "no": (1.0 - self.disability_share) * known,
                "unknown": self.disability_unknown_share,
            }
        )


#: The figures the generator uses by default.
ENGLAND_2019 = Calibration()
