"""Groups in reports and charts are named in words, never by their codes."""

from __future__ import annotations

import pytest

from whatworks_analytics.pilots.group_labels import dimension_label, group_label, labelled


@pytest.mark.parametrize(
    ("dimension", "group", "expected"),
    [
        (
            "source",
            "la_services",
            "referral source: Local authority services (social care, other internal, external LA)",
        ),
        ("age_band", "10_to_15", "age band: 10 to 15"),
        ("prior_involvement", "plan_or_care", "prior involvement: An earlier plan or care episode"),
        ("sex & age_band", "male & 16_plus", "sex & age band: Male & 16 and over"),
        ("period", "2024-Q1", "test period: 2024-Q1"),
        ("new_dimension", "some_code", "new dimension: Some code"),
    ],
)
def test_groups_are_named_in_words(dimension: str, group: str, expected: str) -> None:
    assert labelled(dimension, group) == expected
    assert "_" not in group_label(dimension, group)
    assert "_" not in dimension_label(dimension)
