"""Randomised trials: power at registration, the analysis, and the security of its findings.

>>> from whatworks_analytics.trials import n_per_arm
>>> n_per_arm(effect=0.5, power=0.8, alpha=0.05).n
64

Checked against R (estimatr, clubSandwich, pwr, sandwich) on published trial data: see
``tests/reference/trials.R``.
"""

from whatworks_analytics.trials.analysis import (
    ArmFlow,
    Balance,
    BalanceCategory,
    EffectSize,
    Flow,
    OddsRatio,
    TrialResult,
    TrialSpec,
    analyse_trial,
    balance_summary,
    hedges_j,
)
from whatworks_analytics.trials.errors import PowerInputError, TrialInputError
from whatworks_analytics.trials.logit import LogitFit, logit_fit
from whatworks_analytics.trials.power import (
    ClusterMdes,
    SampleSize,
    mdes_cluster,
    mdes_individual,
    n_per_arm,
    power_individual,
)
from whatworks_analytics.trials.robust import RobustFit, ols_robust
from whatworks_analytics.trials.security import SecurityRating, security_rating

__all__ = [
    "ArmFlow",
    "Balance",
    "BalanceCategory",
    "ClusterMdes",
    "EffectSize",
    "Flow",
    "LogitFit",
    "OddsRatio",
    "PowerInputError",
    "RobustFit",
    "SampleSize",
    "SecurityRating",
    "TrialInputError",
    "TrialResult",
    "TrialSpec",
    "analyse_trial",
    "balance_summary",
    "hedges_j",
    "logit_fit",
    "mdes_cluster",
    "mdes_individual",
    "n_per_arm",
    "ols_robust",
    "power_individual",
    "security_rating",
]
