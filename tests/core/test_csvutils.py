from __future__ import annotations

import csv
import io

import pytest

from whatworks.core.csvutils import csv_safe, csv_unsafe, write_csv


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (-5, "-5"),
        (2.5, "2.5"),
        (None, ""),
        (True, "true"),
    ],
)
def test_csv_safe(value: object, expected: str) -> None:
    assert csv_safe(value) == expected


def test_write_csv_makes_every_cell_safe_and_counts_rows() -> None:
    buffer = io.StringIO()
    count = write_csv(buffer, header=["name", "note"], rows=[["=1+1", "ok"], ["Sam", "@me"]])
    assert count == 2
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["name", "note"], ["'=1+1", "ok"], ["Sam", "'@me"]]


@pytest.mark.parametrize("value", ["=1+1", "+44 20", "-2", "@me", "\tx", "plain", "'quoted", ""])
def test_csv_unsafe_reverses_csv_safe(value: str) -> None:
    assert csv_unsafe(csv_safe(value)) == value
