"""Survey weighting: raking to population margins and the diagnostics of the weights.

>>> from whatworks_analytics.weighting import rake
>>> result = rake({"sex": ["f", "f", "f", "m"]}, {"sex": {"f": 0.5, "m": 0.5}})
>>> [round(w, 4) for w in result.weights.tolist()]
[0.6667, 0.6667, 0.6667, 2.0]
>>> round(result.design_effect, 4)
1.3333

Tested against published worked examples and hand-computed cases (see the tests).
"""

from whatworks_analytics.weighting.calibration import CalibrationMethod, calibrate
from whatworks_analytics.weighting.change import SiteChange, paired_change
from whatworks_analytics.weighting.raking import (
    MarginFit,
    MeanInterval,
    RakeResult,
    WeightingError,
    design_effect,
    effective_sample_size,
    margin_of_error,
    rake,
    weighted_mean_ci,
    weighted_share,
)

__all__ = [
    "CalibrationMethod",
    "MarginFit",
    "MeanInterval",
    "RakeResult",
    "SiteChange",
    "WeightingError",
    "calibrate",
    "design_effect",
    "effective_sample_size",
    "margin_of_error",
    "paired_change",
    "rake",
    "weighted_mean_ci",
    "weighted_share",
]
