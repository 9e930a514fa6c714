"""Meta-analysis: effect sizes, fixed- and random-effects pooling, forest plots.

Modules: ``effect_sizes`` (escalc), ``estimators`` (nine estimators of tau²), ``pooling``
(inverse-variance pooling, Knapp-Hartung, prediction and Q-profile intervals), ``binary``
(Mantel-Haenszel, Peto), ``regression`` (meta-regression, subgroups), ``sensitivity``
(leave-one-out, cumulative), ``bias`` (Egger, rank correlation, trim-and-fill), ``forest`` and
``funnel`` (accessible SVG plots), ``cli`` (``whatworks-analytics meta``).

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

from whatworks_analytics.meta.bias import (
    EggerTest,
    RankTest,
    TrimAndFill,
    egger_test,
    rank_correlation_test,
    trim_and_fill,
)
from whatworks_analytics.meta.binary import mantel_haenszel, peto
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
from whatworks_analytics.meta.funnel import FUNNEL_MIN_STUDIES, describe_funnel, funnel_svg
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
from whatworks_analytics.meta.regression import (
    Coefficient,
    MetaRegression,
    SubgroupAnalysis,
    meta_regression,
    subgroup_analysis,
)
from whatworks_analytics.meta.sensitivity import (
    DOMINANT_WEIGHT,
    SensitivityRow,
    cumulative,
    dominant_study,
    leave_one_out,
)

__all__ = [
    "DOMINANT_WEIGHT",
    "FUNNEL_MIN_STUDIES",
    "PI_MIN_STUDIES",
    "REQUIRED_COLUMNS",
    "Coefficient",
    "EffectSizes",
    "EggerTest",
    "Estimator",
    "ForestRow",
    "ForestTable",
    "InputProblem",
    "Measure",
    "MetaConvergenceError",
    "MetaInputError",
    "MetaRegression",
    "MetaResult",
    "Method",
    "OmittedStudy",
    "RankTest",
    "RemlFit",
    "SensitivityRow",
    "StudiesOmittedWarning",
    "SubgroupAnalysis",
    "Tau2Fit",
    "Test",
    "TrimAndFill",
    "cumulative",
    "describe_forest",
    "describe_funnel",
    "dominant_study",
    "effect_sizes_from_frame",
    "egger_test",
    "fit_tau2",
    "forest_svg",
    "forest_table",
    "funnel_svg",
    "generic",
    "hedges_correction",
    "hedges_g",
    "leave_one_out",
    "log_odds_ratio",
    "log_risk_ratio",
    "mantel_haenszel",
    "meta_analyse",
    "meta_regression",
    "peto",
    "pool",
    "prediction_interval_method",
    "q_profile_tau2",
    "rank_correlation_test",
    "subgroup_analysis",
    "tau2_dersimonian_laird",
    "tau2_reml",
    "trim_and_fill",
]
