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


#: Modules that serve CSV another module wrote, and that module.
SERVES_CSV_WRITTEN_BY = {
    "core/views/audit.py": "core/auditexport.py",
    "evidence/views/manage.py": "evidence/services/transfer.py",
    "pilots/views/shadow.py": "pilots/services/shadow.py",
}


def test_every_csv_the_platform_writes_goes_through_csvutils() -> None:
    """No module of the platform writes CSV but through ``core.csvutils``: no
    ``csv.writer``/``DictWriter`` elsewhere, no data-frame ``write_csv``/``to_csv``/
    ``sink_csv`` (polars and pandas write cells as they are), and every module that serves
    CSV (``text/csv``) imports ``core.csvutils`` or serves what a module that does wrote.
    Reading CSV (``csv.reader``, ``csv.DictReader``) is fine."""
    import re
    from pathlib import Path

    import whatworks

    root = Path(whatworks.__file__).parent
    writers = re.compile(
        r"\bcsv\.(writer|DictWriter)\b|\.(write_csv|to_csv|sink_csv)\(|\bDictWriter\("
    )
    uses = "whatworks.core.csvutils"
    offenders, unsafe = [], []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative == "core/csvutils.py" or "/migrations/" in relative:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [
            f"{relative}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for m in writers.finditer(text)
        ]
        if "text/csv" in text and uses not in text:
            writer = SERVES_CSV_WRITTEN_BY.get(relative)
            if writer is None or uses not in (root / writer).read_text(encoding="utf-8"):
                unsafe.append(relative)
    assert offenders == [], "CSV written around core.csvutils"
    assert unsafe == [], "modules that serve CSV not written through core.csvutils"
    # the scan finds what it looks for (so it cannot pass by finding nothing)
    assert writers.search("csv.writer(handle)") and writers.search("frame.write_csv(path)")
