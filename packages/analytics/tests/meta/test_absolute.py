"""Absolute figures from pooled effects, against hand-computed cases."""

from __future__ import annotations

import pytest

from whatworks_analytics.meta.absolute import risk_with, u3


def test_risk_ratio_applied_to_the_baseline() -> None:
    # By hand: 0.25 x 0.88 = 0.22, "22 in 100 compared with 25 in 100".
    assert risk_with(0.25, 0.88, measure="RR") == pytest.approx(0.22)
    assert risk_with(0.40, 3.0, measure="RR") == 1.0  # capped


def test_odds_ratio_applied_to_the_baseline_odds() -> None:
    # By hand: baseline odds 0.25 / 0.75 = 1/3; x 0.5 = 1/6; risk (1/6) / (7/6) = 1/7.
    assert risk_with(0.25, 0.5, measure="OR") == pytest.approx(1 / 7)
    # Odds ratio 1 changes nothing; 0 and 1 baselines stay where they are.
    assert risk_with(0.3, 1.0, measure="OR") == pytest.approx(0.3)
    assert risk_with(0.0, 2.0, measure="OR") == 0.0


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        risk_with(1.5, 0.8, measure="RR")
    with pytest.raises(ValueError, match="risk or odds ratio"):
        risk_with(0.2, 0.8, measure="SMD")


def test_u3_against_the_normal_table() -> None:
    # Standard normal table (e.g. Cohen 1988, Table 2.2.1): Phi(0.2) = 0.5793,
    # Phi(0.5) = 0.6915, Phi(0.8) = 0.7881.
    assert u3(0.2) == pytest.approx(0.5793, abs=1e-4)
    assert u3(0.5) == pytest.approx(0.6915, abs=1e-4)
    assert u3(0.8) == pytest.approx(0.7881, abs=1e-4)
    assert u3(0.0) == 0.5
    # Lower is better: a negative g is a benefit.
    assert u3(-0.5, higher_is_better=False) == pytest.approx(0.6915, abs=1e-4)
