"""The one add_months and the one canonical JSON the parts share."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from whatworks.core.canonical import canonical_json
from whatworks.core.dates import add_months


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
