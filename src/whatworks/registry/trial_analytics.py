"""The registry's one adapter to ``whatworks_analytics.trials`` (issue #18): the power
calculation on a protocol draft, and the check of a trial bundle made where the data live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from whatworks_analytics.trials import (
    PowerInputError,
    mdes_cluster,
    n_per_arm,
    power_individual,
)
from whatworks_analytics.trials.bundle import (
    BUNDLE_SCHEMA as TRIAL_BUNDLE_SCHEMA,
)
from whatworks_analytics.trials.bundle import (
    check_bundle,
    plan_sha256,
    registry_results,
)

__all__ = [
    "TRIAL_BUNDLE_SCHEMA",
    "PowerAnswer",
    "PowerInputError",
    "check_bundle",
    "plan_sha256",
    "power_answer",
    "registry_results",
]


@dataclass(frozen=True)
class PowerAnswer:
    """The answer in words for the page, and the sentence to paste into the protocol."""

    headline: str
    sentence: str
    method: str


def power_answer(data: dict[str, Any]) -> PowerAnswer:
    """Answer the question of a valid :class:`~whatworks.registry.forms_trials.PowerForm`."""
    alpha, sides = float(data["alpha"]), int(data["sides"])
    test = "two-sided" if sides == 2 else "one-sided"
    if data["question"] == "n_per_arm":
        size = n_per_arm(effect=data["effect"], power=data["power"], alpha=alpha, sides=sides)  # type: ignore[arg-type]
        return PowerAnswer(
            headline=f"{size.n:,} participants per arm ({2 * size.n:,} in all)",
            sentence=(
                f"With {size.n:,} participants per arm, the trial has "
                f"{100 * size.achieved_power:.1f}% power to detect a standardised effect of "
                f"{data['effect']:g} in a {test} test at alpha {alpha:g}."
            ),
            method="The noncentral t, as R's pwr.t.test (two samples), rounded up.",
        )
    if data["question"] == "power":
        value = power_individual(
            n_per_arm=data["n_per_arm"],
            effect=data["effect"],
            alpha=alpha,
            sides=sides,  # type: ignore[arg-type]
        )
        return PowerAnswer(
            headline=f"{100 * value:.1f}% power",
            sentence=(
                f"With {data['n_per_arm']:,} participants per arm, the trial has "
                f"{100 * value:.1f}% power to detect a standardised effect of "
                f"{data['effect']:g} in a {test} test at alpha {alpha:g}."
            ),
            method="The noncentral t, as R's pwr.t.test (two samples).",
        )
    p_treated = data.get("p_treated") or 0.5
    r2 = data.get("r2") or 0.0
    result = mdes_cluster(
        clusters=data["clusters"],
        cluster_size=data["cluster_size"],
        icc=data["icc"],
        power=data["power"],
        alpha=alpha,
        p_treated=p_treated,
        r2_cluster=r2,
        sides=sides,  # type: ignore[arg-type]
    )
    return PowerAnswer(
        headline=f"Minimum detectable effect {result.mdes:.3f} SD",
        sentence=(
            f"With {data['clusters']} clusters of {data['cluster_size']:g} participants "
            f"(intra-cluster correlation {data['icc']:g}, {100 * p_treated:g}% of clusters "
            f"treated, cluster-level R² {r2:g}), the minimum detectable effect is "
            f"{result.mdes:.2f} standard deviations at {100 * data['power']:g}% power in a "
            f"{test} test at alpha {alpha:g}."
        ),
        method=(
            f"PowerUp!'s two-level cluster design (Dong and Maynard, 2013), the multiplier "
            f"from t with {result.df} degrees of freedom."
        ),
    )
