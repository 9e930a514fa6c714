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
    effect_sizes_from_frame,
    generic,
    hedges_correction,
    hedges_g,
    log_odds_ratio,
    log_risk_ratio,
)
from whatworks_analytics.meta.forest import (
    ForestRow,
    ForestTable,
    describe_forest,
    forest_svg,
    forest_table,
)
from whatworks_analytics.meta.pooling import (
    MetaConvergenceError,
    MetaResult,
    Method,
    RemlFit,
    meta_analyse,
    pool,
    tau2_dersimonian_laird,
    tau2_reml,
)

__all__ = [
    "REQUIRED_COLUMNS",
    "EffectSizes",
    "ForestRow",
    "ForestTable",
    "InputProblem",
    "Measure",
    "MetaConvergenceError",
    "MetaInputError",
    "MetaResult",
    "Method",
    "RemlFit",
    "describe_forest",
    "effect_sizes_from_frame",
    "forest_svg",
    "forest_table",
    "generic",
    "hedges_correction",
    "hedges_g",
    "log_odds_ratio",
    "log_risk_ratio",
    "meta_analyse",
    "pool",
    "tau2_dersimonian_laird",
    "tau2_reml",
]
