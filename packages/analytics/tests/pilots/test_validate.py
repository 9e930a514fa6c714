"""The validator reports every problem with its table, row and column; the loader types."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whatworks_analytics.pilots.schema import CONTRACT
from whatworks_analytics.pilots.validate import (
    DatasetReadError,
    InvalidDatasetError,
    PilotDataset,
    ProblemKind,
    ValidationReport,
    load_dataset,
    read_dataset,
    validate_dataset,
)

K = ProblemKind

VALID: dict[str, str] = {
    "children": (
        "child_id,birth_month,sex,ethnicity,disability\n"
        "C1,2010-05,male,white,no\n"
        "C2,2015-01,female,black,yes\n"
        "C3,2008-11,unknown,not_known,unknown\n"
    ),
    "referrals": (
        "referral_id,child_id,referral_date,source,nfa\n"
        "R1,C1,2019-01-10,police,false\n"
        "R2,C2,2019-02-01,schools,true\n"
        "R3,C1,2019-06-01,health,FALSE\n"
        "R4,C3,2019-03-03,anonymous,0\n"
    ),
    "assessments": (
        "assessment_id,child_id,referral_id,start_date,end_date,factors\n"
        "A1,C1,R1,2019-01-11,2019-02-20,domestic_violence;mental_health\n"
        "A2,C1,R3,2019-06-02,,\n"
        "A3,C3,R4,2019-03-04,2019-03-30, neglect ; \n"
    ),
    "s47_enquiries": (
        "s47_id,child_id,referral_id,start_date,end_date,icpc_date\n"
        "S1,C1,R1,2019-01-12,2019-01-20,2019-01-28\n"
    ),
    "child_protection_plans": (
        "cpp_id,child_id,start_date,end_date,category\nP1,C1,2019-01-28,,neglect\n"
    ),
    "looked_after_episodes": (
        "episode_id,child_id,start_date,end_date,legal_status\n"
        "E1,C3,2019-04-01,2019-09-01,section_20_voluntary\n"
    ),
}


def write(folder: Path, tables: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (folder / f"{name}.csv").write_bytes(data)
    return folder


def tables_with(**changes: str | bytes) -> dict[str, str | bytes]:
    tables: dict[str, str | bytes] = dict(VALID)
    tables.update(changes)
    return tables


def replace(table: str, old: str, new: str) -> dict[str, str]:
    assert VALID[table].count(old) == 1, old
    return {table: VALID[table].replace(old, new)}


Located = set[tuple[str, int | None, str | None, ProblemKind]]


def found(report: ValidationReport) -> Located:
    return {(p.table, p.row, p.column, p.kind) for p in report.problems}


def test_valid_dataset(tmp_path: Path) -> None:
    report = validate_dataset(write(tmp_path, tables_with()))
    assert report.is_valid, report.render()
    assert report.total == 0 and report.problems == ()
    assert "valid pilot dataset" in report.render()


def test_crlf_bom_and_quotes_are_accepted(tmp_path: Path) -> None:
    def dialect(text: str) -> bytes:
        lines = text.splitlines()
        quoted = [lines[0]] + [",".join(f'"{v}"' for v in line.split(",")) for line in lines[1:]]
        return b"\xef\xbb\xbf" + ("\r\n".join(quoted) + "\r\n").encode("utf-8")

    folder = write(tmp_path, {name: dialect(text) for name, text in VALID.items()})
    report, dataset = read_dataset(folder)
    assert report.is_valid, report.render()
    assert dataset is not None
    plain = load_dataset(write(tmp_path / "plain", tables_with()))
    for (name, left), (_, right) in zip(dataset.tables(), plain.tables(), strict=True):
        assert left.equals(right), name


def test_loader_returns_typed_frames(tmp_path: Path) -> None:
    dataset = load_dataset(write(tmp_path, tables_with()))
    assert isinstance(dataset, PilotDataset)
    for name, frame in dataset.tables():
        assert frame.schema == CONTRACT.table(name).schema, name
    assert dataset.row_counts() == {
        "children": 3,
        "referrals": 4,
        "assessments": 3,
        "s47_enquiries": 1,
        "child_protection_plans": 1,
        "looked_after_episodes": 1,
    }
    assert dataset.children["birth_month"].to_list()[0] == date(2010, 5, 1)
    assert dataset.referrals["nfa"].to_list() == [False, True, False, False]
    factors = dataset.assessments["factors"].cast(pl.List(pl.String)).to_list()
    assert factors == [["domestic_violence", "mental_health"], [], ["neglect"]]
    assert dataset.assessments["end_date"].null_count() == 1
    assert dataset.table("referrals") is dataset.referrals
    with pytest.raises(KeyError):
        dataset.table("nope")


MUTATIONS: dict[str, tuple[dict[str, str], Located]] = {
    "bad date": (
        replace("referrals", "2019-01-10", "2019-13-10"),
        {("referrals", 1, "referral_date", K.BAD_VALUE)},
    ),
    "date in another format": (
        replace("referrals", "2019-01-10", "10/01/2019"),
        {("referrals", 1, "referral_date", K.BAD_VALUE)},
    ),
    "bad month": (
        replace("children", "2010-05", "2010-5"),
        {("children", 1, "birth_month", K.BAD_VALUE)},
    ),
    "unknown code": (
        replace("referrals", "police", "pol1ce"),
        {("referrals", 1, "source", K.UNKNOWN_CODE)},
    ),
    "unknown factor": (
        replace("assessments", "domestic_violence;", "domestic_violence;witchcraft;"),
        {("assessments", 1, "factors", K.UNKNOWN_CODE)},
    ),
    "bad boolean": (
        replace("referrals", "true", "maybe"),
        {("referrals", 2, "nfa", K.BAD_VALUE)},
    ),
    "missing value": (
        replace("referrals", "R2,C2,", "R2, ,"),
        {("referrals", 2, "child_id", K.MISSING_VALUE)},
    ),
    "duplicate id": (
        {"referrals": VALID["referrals"] + "R1,C2,2019-05-01,police,false\n"},
        {("referrals", 5, "referral_id", K.DUPLICATE_ID)},
    ),
    "missing child": (
        replace("referrals", "R2,C2,", "R2,C9,"),
        {("referrals", 2, "child_id", K.MISSING_REFERENCE)},
    ),
    "missing referral": (
        replace("assessments", "A3,C3,R4", "A3,C3,R9"),
        {("assessments", 3, "referral_id", K.MISSING_REFERENCE)},
    ),
    "referral of another child": (
        replace("assessments", "A3,C3,R4", "A3,C2,R4"),
        {("assessments", 3, "child_id", K.OTHER_CHILD)},
    ),
    "end before start": (
        replace("assessments", "2019-02-20", "2019-01-01"),
        {("assessments", 1, "end_date", K.DATE_ORDER)},
    ),
    "referral more than a pregnancy before birth": (
        # C2 is born in January 2015: 2014-03-26 is 281 days before 2015-01-01.
        replace("referrals", "2019-02-01", "2014-03-26"),
        {("referrals", 2, "referral_date", K.DATE_ORDER)},
    ),
    "assessment of a referral closed with no further action": (
        # R2 is closed with no further action; give the second assessment to it.
        replace("assessments", "A2,C1,R3", "A2,C2,R2"),
        {("assessments", 2, "referral_id", K.AFTER_NFA)},
    ),
    "two plans at once": (
        {
            "child_protection_plans": VALID["child_protection_plans"]
            + "P2,C1,2019-03-01,2019-06-01,neglect\n"
        },
        {("child_protection_plans", 2, "start_date", K.OVERLAP)},
    ),
    "care before birth": (
        replace("looked_after_episodes", "E1,C3,2019-04-01", "E1,C3,2008-10-31"),
        {("looked_after_episodes", 1, "start_date", K.DATE_ORDER)},
    ),
    "assessment before referral": (
        replace("assessments", "2019-01-11", "2019-01-09"),
        {("assessments", 1, "start_date", K.DATE_ORDER)},
    ),
    "conference before enquiry": (
        replace("s47_enquiries", "2019-01-28", "2019-01-02"),
        {("s47_enquiries", 1, "icpc_date", K.DATE_ORDER)},
    ),
    "plan before birth": (
        replace("child_protection_plans", "2019-01-28", "2009-01-01"),
        {("child_protection_plans", 1, "start_date", K.DATE_ORDER)},
    ),
    "missing column": (
        {
            "referrals": "\n".join(
                ",".join(line.split(",")[:3] + line.split(",")[4:])
                for line in VALID["referrals"].splitlines()
            )
            + "\n"
        },
        {("referrals", None, "source", K.MISSING_COLUMN)},
    ),
    "duplicate column": (
        {
            "looked_after_episodes": VALID["looked_after_episodes"]
            .replace("legal_status\n", "legal_status,start_date\n")
            .replace("voluntary\n", "voluntary,2000-01-01\n")
        },
        {("looked_after_episodes", None, "start_date", K.DUPLICATE_COLUMN)},
    ),
    "too many fields": (
        replace("referrals", "schools,true", "schools,true,extra"),
        {("referrals", 2, None, K.RAGGED_LINE)},
    ),
    "too few fields": (
        replace("referrals", "schools,true", "schools"),
        {("referrals", 2, None, K.RAGGED_LINE)},
    ),
    "blank line": (
        {"s47_enquiries": VALID["s47_enquiries"] + "\nS2,C1,R3,2019-06-03,,\n"},
        {("s47_enquiries", 2, None, K.RAGGED_LINE)},
    ),
    "0-byte file": (
        {"looked_after_episodes": ""},
        {("looked_after_episodes", None, None, K.EMPTY_FILE)},
    ),
    "no header": (
        {"looked_after_episodes": "\n"},
        {("looked_after_episodes", None, None, K.EMPTY_FILE)},
    ),
    "header only where rows are required": (
        {"children": VALID["children"].splitlines()[0] + "\n"}
        | {
            "referrals": VALID["referrals"]
            .replace("R1,C1", "R1,C9")
            .replace("R2,C2", "R2,C9")
            .replace("R3,C1", "R3,C9")
            .replace("R4,C3", "R4,C9")
        },
        # references to an empty children table are all missing
        {("children", None, None, K.EMPTY_TABLE)}
        | {("referrals", row, "child_id", K.MISSING_REFERENCE) for row in (1, 2, 3, 4)}
        | {("assessments", row, "child_id", K.MISSING_REFERENCE) for row in (1, 2, 3)}
        | {
            ("s47_enquiries", 1, "child_id", K.MISSING_REFERENCE),
            ("child_protection_plans", 1, "child_id", K.MISSING_REFERENCE),
            ("looked_after_episodes", 1, "child_id", K.MISSING_REFERENCE),
        }
        | {("assessments", row, "child_id", K.OTHER_CHILD) for row in (1, 2, 3)}
        | {("s47_enquiries", 1, "child_id", K.OTHER_CHILD)},
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_each_problem_is_located(tmp_path: Path, name: str) -> None:
    changes, expected = MUTATIONS[name]
    report = validate_dataset(write(tmp_path, tables_with(**changes)))
    assert found(report) == expected, report.render()
    assert not report.is_valid
    assert report.total == len(expected)


def test_event_tables_may_have_a_header_only(tmp_path: Path) -> None:
    header_only = {
        name: VALID[name].splitlines()[0] + "\n"
        for name in ("s47_enquiries", "child_protection_plans", "looked_after_episodes")
    }
    dataset = load_dataset(write(tmp_path, tables_with(**header_only)))
    assert dataset.s47_enquiries.height == 0
    assert dataset.s47_enquiries.schema == CONTRACT.table("s47_enquiries").schema


def test_non_utf8_file_is_reported_with_its_line(tmp_path: Path) -> None:
    latin1 = VALID["children"].replace("black", "blâck").encode("latin-1")
    report = validate_dataset(write(tmp_path, tables_with(children=latin1)))
    assert found(report) == {
        ("children", 2, None, K.NOT_UTF8),
        ("children", 2, "ethnicity", K.UNKNOWN_CODE),
    }
    utf8 = next(p for p in report.problems if p.kind is K.NOT_UTF8)
    assert "0xe2" in utf8.message and utf8.line == 3
    assert "children.csv, data row 2 (line 3)" in utf8.render()


def test_missing_and_ambiguous_tables(tmp_path: Path) -> None:
    folder = write(tmp_path, tables_with())
    (folder / "looked_after_episodes.csv").unlink()
    pl.read_csv(folder / "s47_enquiries.csv").write_parquet(folder / "s47_enquiries.parquet")
    report = validate_dataset(folder)
    assert found(report) == {
        ("looked_after_episodes", None, None, K.MISSING_TABLE),
        ("s47_enquiries", None, None, K.AMBIGUOUS_TABLE),
    }


def test_extra_columns_and_files_are_ignored(tmp_path: Path) -> None:
    lines = VALID["children"].splitlines()
    extended = [lines[0] + ",postcode_district,__row"] + [
        line + f",AB{i},x" for i, line in enumerate(lines[1:])
    ]
    folder = write(tmp_path, tables_with(children="\n".join(extended) + "\n"))
    (folder / "notes.txt").write_text("hello")
    (folder / "synthetic.json").write_text("{}")
    dataset = load_dataset(folder)
    assert dataset.children.columns == list(CONTRACT.table("children").column_names)


def test_dropped_columns_are_reported_and_personal_details_warned_about(tmp_path: Path) -> None:
    lines = VALID["referrals"].splitlines()
    extended = [lines[0] + ",full_name,NHS Number,postcode,team"] + [
        line + f",Name {i},943 476 591{i},AB1 2CD,north" for i, line in enumerate(lines[1:])
    ]
    folder = write(tmp_path, tables_with(referrals="\n".join(extended) + "\n"))
    report, dataset = read_dataset(folder)
    assert report.is_valid and dataset is not None
    assert report.dropped_columns == {"referrals": ("full_name", "NHS Number", "postcode", "team")}
    assert dataset.referrals.columns == list(CONTRACT.table("referrals").column_names)
    [line] = report.dropped_lines()
    assert line == (
        "referrals.csv: full_name, NHS Number, postcode, team not in the data contract, so not "
        "kept; full_name, NHS Number, postcode look like personal details and should not be "
        "sent at all."
    )
    assert line in report.render()
    assert report.to_dict()["dropped_columns"] == {
        "referrals": ["full_name", "NHS Number", "postcode", "team"]
    }
    # A dataset with only the contract's columns drops nothing.
    assert validate_dataset(write(tmp_path / "plain", tables_with())).dropped_columns == {}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    names = [
        "bad date",
        "missing child",
        "unknown factor",
        "missing referral",
        "duplicate column",
        "conference before enquiry",
        "plan before birth",
    ]
    lines = {table: text.splitlines() for table, text in VALID.items()}
    expected: Located = set()
    for name in names:
        change, problems = MUTATIONS[name]
        for table, text in change.items():
            for index, (old, new) in enumerate(
                zip(VALID[table].splitlines(), text.splitlines(), strict=True)
            ):
                if old != new:
                    lines[table][index] = new
        expected |= problems
    merged = {table: "\n".join(rows) + "\n" for table, rows in lines.items()}
    report = validate_dataset(write(tmp_path, tables_with(**merged)))
    assert found(report) == expected, report.render()
    assert report.total == len(expected) == len(names)


def test_output_is_capped_but_everything_is_counted(tmp_path: Path) -> None:
    rows = "".join(f"R{i},C1,2019-05-{1 + i % 28:02d},nowhere,false\n" for i in range(10, 110))
    report = validate_dataset(
        write(tmp_path, tables_with(referrals=VALID["referrals"] + rows)), max_per_kind=5
    )
    assert report.total == 100
    assert len(report.problems) == 5
    assert report.omitted == 95
    (count,) = report.counts
    assert (count.table, count.column, count.kind, count.total, count.shown) == (
        "referrals",
        "source",
        K.UNKNOWN_CODE,
        100,
        5,
    )
    text = report.render()
    assert "... and 95 more unknown_code problems in referrals.source (100 in all)" in text
    assert [p.row for p in report.problems] == [5, 6, 7, 8, 9]


def test_report_to_dict_is_json(tmp_path: Path) -> None:
    report = validate_dataset(write(tmp_path, tables_with(**MUTATIONS["bad date"][0])))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["valid"] is False and data["total"] == 1
    (problem,) = data["problems"]
    assert problem == {
        "table": "referrals",
        "file": "referrals.csv",
        "row": 1,
        "line": 2,
        "column": "referral_date",
        "kind": "bad_value",
        "message": "not a date in the form YYYY-MM-DD: '2019-13-10'",
    }
    assert str(report) == report.render()


def test_load_raises_with_the_report(tmp_path: Path) -> None:
    folder = write(tmp_path, tables_with(**MUTATIONS["unknown code"][0]))
    with pytest.raises(InvalidDatasetError) as caught:
        load_dataset(folder)
    assert caught.value.report.total == 1
    assert "pol1ce" in str(caught.value)
    report, dataset = read_dataset(folder)
    assert dataset is None and report.total == 1


def _parquet_folder(tmp_path: Path) -> Path:
    csv = load_dataset(write(tmp_path / "csv", tables_with()))
    folder = tmp_path / "parquet"
    folder.mkdir()
    for name, frame in csv.tables():
        frame.write_parquet(folder / f"{name}.parquet")  # native dtypes, lists, enums
    return folder


def test_parquet_with_native_types_loads_like_csv(tmp_path: Path) -> None:
    csv = load_dataset(write(tmp_path / "csv", tables_with()))
    parquet = load_dataset(_parquet_folder(tmp_path))
    for (name, left), (_, right) in zip(csv.tables(), parquet.tables(), strict=True):
        assert left.equals(right), name


def test_parquet_wrong_types(tmp_path: Path) -> None:
    folder = _parquet_folder(tmp_path)
    referrals = pl.read_parquet(folder / "referrals.parquet").with_columns(
        pl.lit(20190110).alias("referral_date"),
        pl.struct(pl.lit(1).alias("x")).alias("source"),
    )
    referrals.write_parquet(folder / "referrals.parquet")
    report = validate_dataset(folder)
    assert found(report) == (
        {("referrals", row, "referral_date", K.BAD_VALUE) for row in (1, 2, 3, 4)}
        | {("referrals", None, "source", K.WRONG_COLUMN_TYPE)}
    )
    assert "referrals.parquet, data row 1, column referral_date" in report.render()


def test_unreadable_parquet(tmp_path: Path) -> None:
    folder = _parquet_folder(tmp_path)
    (folder / "children.parquet").write_bytes(b"not parquet at all")
    report = validate_dataset(folder)
    assert ("children", None, None, K.UNREADABLE) in found(report)


def test_folder_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(DatasetReadError, match="no such folder"):
        validate_dataset(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetReadError, match="not a folder"):
        validate_dataset(tmp_path / "file")


def test_file_that_cannot_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write(tmp_path, tables_with())
    original = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "children.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(DatasetReadError, match=r"children\.csv.*Permission denied"):
        validate_dataset(folder)


@pytest.mark.parametrize("valid", [True, False])
def test_validation_writes_nothing(tmp_path: Path, valid: bool) -> None:
    changes = {} if valid else MUTATIONS["bad date"][0]
    folder = write(tmp_path / "data", tables_with(**changes))

    def snapshot() -> list[tuple[str, int, int]]:
        return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))

    before = snapshot()
    report, _ = read_dataset(folder)
    assert report.is_valid is valid
    assert snapshot() == before


SOURCES = list(CONTRACT.table("referrals").column("source").allowed)


@settings(max_examples=20, deadline=None)
@given(st.one_of(st.sampled_from(SOURCES), st.text(alphabet="abcdeilnopsu_ ;é1-", max_size=12)))
def test_any_source_text_is_accepted_exactly_when_it_is_a_code(text: str) -> None:
    quoted = '"' + text.replace('"', '""') + '"'
    with tempfile.TemporaryDirectory() as folder:
        changed = replace("referrals", "police", "@@")["referrals"].replace("@@", quoted)
        report = validate_dataset(write(Path(folder), tables_with(referrals=changed)))
    value = text.strip()
    if value in SOURCES:
        assert found(report) == set()
    else:
        kind = K.UNKNOWN_CODE if value else K.MISSING_VALUE
        assert found(report) == {("referrals", 1, "source", kind)}


def test_work_with_unborn_children_up_to_a_pregnancy_before_birth_is_valid(
    tmp_path: Path,
) -> None:
    """Pre-birth referrals and plans (category "unborn") are real council work: up to 280
    days before the birth month is accepted; the referral's age band is then "unborn"."""
    from whatworks_analytics.pilots.features import age_band

    tables = tables_with(
        # C2 is born in January 2015: 280 days before 2015-01-01 is 2014-03-27.
        **replace("referrals", "2019-02-01", "2014-03-27"),
        # C1 is born in May 2010.
        **replace("child_protection_plans", "2019-01-28", "2009-08-01"),
    )
    report = validate_dataset(write(tmp_path, tables))
    assert report.is_valid, report.render()
    bands = pl.select(age_band(pl.lit(-0.5)).alias("a"), age_band(pl.lit(0.0)).alias("b"))
    assert bands.row(0) == ("unborn", "under_1")
