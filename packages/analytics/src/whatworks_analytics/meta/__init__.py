"""Meta-analysis: effect sizes, fixed- and random-effects pooling, forest plots.

Results match R's metafor package (``escalc()`` and ``rma()`` with their defaults) to four
decimal places on its published examples; see the tests for the values and their sources.

>>> from whatworks_analytics.meta import log_risk_ratio, pool
>>> effects = log_risk_ratio(ai=[4, 6], bi=[119, 300], ci=[11, 29], di=[128, 274])
>>> result = pool(effects, method="DL")
>>> round(result.exp_estimate, 2)
0.27

The forest-plot functions (:func:`forest_svg`, :func:`forest_table`) import matplotlib only
when called.
"""

from whatworks_analytics.meta.effect_sizes import (
    REQUIRED_COLUMNS,
    EffectSizes,
    InputProblem,
    Measure,
    MetaInputError,
    OmittedStudy,
    StudiesOmittedWarning,
    effect_sizes_from_frame,
    generic,
    hedges_correction,
    hedges_g,
    log_odds_ratio,
    log_risk_ratio,
)
from whatworks_analytics.meta.estimators import Estimator, Tau2Fit, fit_tau2
from whatworks_analytics.meta.forest import (
    ForestRow,
    ForestTable,
    describe_forest,
    forest_svg,
    forest_table,
)
from whatworks_analytics.meta.pooling import (
    PI_MIN_STUDIES,
    MetaConvergenceError,
    MetaResult,
    Method,
    RemlFit,
    Test,
    meta_analyse,
    pool,
    prediction_interval_method,
    q_profile_tau2,
    tau2_dersimonian_laird,
    tau2_reml,
)

__all__ = [
    "PI_MIN_STUDIES",
    "REQUIRED_COLUMNS",
    "EffectSizes",
    "Estimator",
    "ForestRow",
    "ForestTable",
    "InputProblem",
    "Measure",
    "MetaConvergenceError",
    "MetaInputError",
    "MetaResult",
    "Method",
    "OmittedStudy",
    "RemlFit",
    "StudiesOmittedWarning",
    "Tau2Fit",
    "Test",
    "describe_forest",
    "effect_sizes_from_frame",
    "fit_tau2",
    "forest_svg",
    "forest_table",
    "generic",
    "hedges_correction",
    "hedges_g",
    "log_odds_ratio",
    "log_risk_ratio",
    "meta_analyse",
    "pool",
    "prediction_interval_method",
    "q_profile_tau2",
    "tau2_dersimonian_laird",
    "tau2_reml",
]
