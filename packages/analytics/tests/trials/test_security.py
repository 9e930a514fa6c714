"""The padlock rating: bands, the lowest-of rule, imbalance and threats (hand cases)."""

from __future__ import annotations

import pytest

from whatworks_analytics.trials import Balance, BalanceCategory, security_rating


def balance(category: BalanceCategory, effect: float) -> Balance:
    return Balance(
        variable="baseline",
        kind="continuous",
        n_treatment=50,
        n_control=50,
        mean_treatment=0.0,
        mean_control=0.0,
        sd_treatment=1.0,
        sd_control=1.0,
        measure="hedges_g",
        effect_size=effect,
        adjusted=False,
        category=category,
    )


@pytest.mark.parametrize(
    ("mdes", "attrition", "padlocks"),
    [
        (0.15, 0.05, 5),
        (0.2, 0.10, 5),
        (0.25, 0.05, 4),
        (0.15, 0.25, 3),
        (0.45, 0.05, 2),
        (0.55, 0.45, 1),
        (0.7, 0.05, 0),
        (0.15, 0.6, 0),
    ],
)
def test_the_initial_rating_is_the_lowest_band(
    mdes: float, attrition: float, padlocks: int
) -> None:
    assert security_rating(mdes=mdes, attrition=attrition).padlocks == padlocks


def test_imbalance_and_each_threat_take_a_padlock() -> None:
    rating = security_rating(
        mdes=0.15,
        attrition=0.05,
        baseline=[balance(BalanceCategory.NOT_SATISFIED, 0.3)],
        threats=["contamination between arms"],
    )
    assert rating.padlocks == 3
    criteria = [reason.criterion for reason in rating.reasons]
    assert criteria == ["design", "mdes", "attrition", "initial", "imbalance", "threat"]
    assert "+0.30 SD" in rating.reasons[4].text


def test_a_satisfied_baseline_takes_nothing_and_the_floor_is_zero() -> None:
    assert (
        security_rating(
            mdes=0.15, attrition=0.05, baseline=[balance(BalanceCategory.SATISFIED, 0.01)]
        ).padlocks
        == 5
    )
    assert security_rating(mdes=0.7, attrition=0.05, threats=["a", "b"]).padlocks == 0


def test_no_mdes_means_no_padlocks() -> None:
    assert security_rating(mdes=None, attrition=0.0).padlocks == 0
