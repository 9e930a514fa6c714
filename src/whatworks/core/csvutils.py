"""CSV exports that are safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run
as a formula by Excel, LibreOffice and Google Sheets (OWASP "CSV injection").  Such text is
prefixed with an apostrophe, which spreadsheets show as text and do not evaluate.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_unsafe(text: str) -> str:
    """Undo :func:`csv_safe` on a cell read back from one of our exports."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
        return text[1:]
    return text


class SafeCsvWriter:
    """``csv.writer`` that makes every cell safe with :func:`csv_safe`."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_safe(cell) for cell in row])


def write_csv(handle: IO[str], *, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write a header and rows with every cell made safe; return the number of rows."""
    writer = SafeCsvWriter(handle)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
