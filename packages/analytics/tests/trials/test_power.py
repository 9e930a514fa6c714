"""Power calculations: the inputs they refuse (values are checked against R in
test_reference.py) and the shape of the answer."""

from __future__ import annotations

import pytest

from whatworks_analytics.trials import (
    PowerInputError,
    mdes_cluster,
    n_per_arm,
    power_individual,
)


def test_the_sample_size_is_rounded_up_and_reaches_the_power() -> None:
    size = n_per_arm(effect=0.5, power=0.8, alpha=0.05)
    assert size.n == 64
    assert size.achieved_power >= 0.8
    assert power_individual(n_per_arm=size.n - 1, effect=0.5, alpha=0.05) < 0.8


def test_small_effects_need_large_trials() -> None:
    assert n_per_arm(effect=0.01, power=0.8, alpha=0.05).n > 150_000


def test_every_individual_problem_is_listed() -> None:
    with pytest.raises(PowerInputError) as caught:
        n_per_arm(effect=-0.2, power=1.2, alpha=0.0)
    assert len(caught.value.problems) == 3


def test_the_cluster_design_needs_degrees_of_freedom() -> None:
    with pytest.raises(PowerInputError, match="J - g - 2"):
        mdes_cluster(clusters=3, cluster_size=10, icc=0.1, r2_cluster=0.3, power=0.8, alpha=0.05)


def test_a_cluster_covariate_defaults_with_its_r2() -> None:
    with_r2 = mdes_cluster(
        clusters=20, cluster_size=10, icc=0.1, r2_cluster=0.3, power=0.8, alpha=0.05
    )
    assert with_r2.df == 17
    assert mdes_cluster(clusters=20, cluster_size=10, icc=0.1, power=0.8, alpha=0.05).df == 18


def test_every_cluster_problem_is_listed() -> None:
    with pytest.raises(PowerInputError) as caught:
        mdes_cluster(clusters=1, cluster_size=0, icc=2, power=0.8, alpha=0.05, p_treated=1)
    assert len(caught.value.problems) == 4
