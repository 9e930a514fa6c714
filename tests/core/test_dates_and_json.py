"""The one add_months and the one canonical JSON the parts share."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from whatworks.core.canonical import canonical_json
from whatworks.core.dates import add_months
from whatworks_analytics.canonical import canonical_json as analytics_canonical_json


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 3, 15), -15, date(2024, 12, 15)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_add_months_moves_by_calendar_months_and_clamps_to_the_month_end(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


def test_canonical_json_is_sorted_compact_utf8_and_refuses_nan_unless_allowed() -> None:
    content = {"b": [1, 2.5], "a": "café", "c": {"z": None, "y": True}}
    assert canonical_json(content) == '{"a":"café","b":[1,2.5],"c":{"y":true,"z":null}}'.encode()
    # the bytes the audit log and the registry hashed before there was one function
    assert canonical_json(content) == json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json({"x": math.nan})
    assert canonical_json({"x": math.nan}, allow_nan=True) == b'{"x":NaN}'


SAMPLES: list[object] = [
    {"b": 1, "a": ["é", 2.5]},
    {"floats": [0.1, 1e-12, 1e21, -0.0, 3.0, 2.5e-5, 1 / 3, 123456789.123456789]},
    {"z": {"y": {"x": [1, {"w": None, "v": False}]}}, "a": []},
    {"unicode": 'Ærøskøbing — “quoted” 中文 😀 \u2028 \x00 \\ "', "ß": "straße"},
    {"10": "ten", "2": "two", "": "empty", "A": "upper", "a": "lower"},
    [1, -1, 2**63, -(2**63), 0, True, None, "", [], {}],
    "a bare string",
    42,
]


@pytest.mark.parametrize("value", SAMPLES)
def test_the_cores_and_the_analytics_canonical_json_are_the_same_bytes(value: object) -> None:
    """The registry stores the hash the analytics package computes (a trial plan's, an
    experiment config's), so the core's copy and the package's must agree byte for byte;
    the core keeps its own because it may not import the package (import-linter)."""
    assert canonical_json(value) == analytics_canonical_json(value).encode("utf-8")


@pytest.mark.parametrize("value", [{"when": date(2026, 2, 28)}, {"x": math.nan}, [math.inf]])
def test_both_canonical_jsons_refuse_what_is_not_json(value: object) -> None:
    with pytest.raises((TypeError, ValueError)) as core_refusal:
        canonical_json(value)
    with pytest.raises((TypeError, ValueError)) as analytics_refusal:
        analytics_canonical_json(value)
    assert type(core_refusal.value) is type(analytics_refusal.value)
