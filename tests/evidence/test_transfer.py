"""Import and export: every problem an import reports, all or nothing, round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest

from whatworks.core.models import AuditEntry
from whatworks.evidence.errors import ImportInvalid
from whatworks.evidence.models import Finding, Intervention, Study
from whatworks.evidence.services import transfer
from whatworks.evidence.services.transfer import evidence_import, export_file

from .factories import finding, intervention, study

pytestmark = pytest.mark.django_db

HEADER = "id,name,summary,age_group,need_level,setting,delivery,workforce,cost_band,availability"
GOOD = (
    "fgc,Family group conferences,Family plans,all,child-protection,Home,Meetings,Coordinators,"
    "1-low,wide"
)


def problems(data: str | bytes, *, kind: str = "interventions", fmt: str = "csv") -> list[str]:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(ImportInvalid) as caught:
        evidence_import(actor=None, kind=kind, fmt=fmt, data=raw)
    return [str(p) for p in caught.value.problems]


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_a_good_csv_creates_then_updates_by_stable_id() -> None:
    report = evidence_import(
        actor=None, kind="interventions", fmt="csv", data=csv_of(GOOD).encode()
    )
    assert (report.created, report.updated) == (1, 0)
    made = Intervention.objects.get(slug="fgc")
    assert made.status == "draft" and made.name == "Family group conferences"
    again = csv_of(GOOD.replace("Family plans", "Wider family plans"))
    report = evidence_import(actor=None, kind="interventions", fmt="csv", data=again.encode())
    assert (report.created, report.updated) == (0, 1)
    assert Intervention.objects.get(slug="fgc").summary == "Wider family plans"
    assert AuditEntry.objects.filter(action="evidence.intervention_imported").count() == 2
    assert AuditEntry.objects.filter(action="evidence.import").count() == 2


def test_optional_columns_left_out_keep_their_values() -> None:
    made = intervention(slug="fgc", status="published")
    evidence_import(actor=None, kind="interventions", fmt="csv", data=csv_of(GOOD).encode())
    made.refresh_from_db()
    assert made.status == "published"


@pytest.mark.parametrize(
    ("data", "fmt", "expected"),
    [
        (b"\xff\xfe\x00bad", "csv", "not UTF-8"),
        (b"  \n ", "csv", "The file is empty."),
        (csv_of(GOOD + ",extra"), "csv", "row 2: This row has more cells than the header."),
        ("{not json", "json", "not valid JSON"),
        ('{"id": "x"}', "json", "must be a list of objects"),
        ("[1, 2]", "json", "must be a list of objects"),
        (csv_of(GOOD), "xml", "Choose CSV or JSON."),
        (HEADER + "\n", "csv", "The file has no rows."),
    ],
)
def test_unreadable_files(data: str | bytes, fmt: str, expected: str) -> None:
    assert any(expected in p for p in problems(data, fmt=fmt))


def test_unknown_kind() -> None:
    assert problems(csv_of(GOOD), kind="people") == ["Choose what the file holds."]


def test_unknown_and_missing_columns_are_all_reported() -> None:
    header = HEADER.replace(",summary", "").replace("name", "title")
    found = problems(csv_of("x,y,all,early-help,s,d,w,1-low,wide", header=header))
    assert "row 1, column title: Unknown column." in found
    assert "row 1, column name: This column is missing." in found
    assert "row 1, column summary: This column is missing." in found


def test_every_cell_problem_is_reported_with_its_row_and_column() -> None:
    rows = [
        GOOD,
        "Bad Id!,,x" + "y" * 2000 + ",teens,child-in-need,s,d,w,1-low,wide",
        "fgc,Again,s,all,early-help,s,d,w,cheap,everywhere",
        "x" * 81 + ",Long id,s,all,early-help,s,d,w,1-low,wide",
    ]
    header = HEADER + ",last_reviewed,is_demo"
    rows = [r + ",2026-01-01,no" for r in rows[:1]] + [
        rows[1] + ",31/01/2026,maybe",
        rows[2] + ",,",
        rows[3] + ",,",
    ]
    found = problems(csv_of(*rows, header=header))
    assert found == [
        "row 3, column age_group: 'teens' is not one of: 0-4, 5-11, 12-17, 18-25, all "
        "(several separated by semicolons).",
        "row 3, column id: Use only lower-case letters, digits and hyphens.",
        "row 3, column is_demo: 'maybe' is not true or false.",
        "row 3, column last_reviewed: '31/01/2026' is not a date as YYYY-MM-DD.",
        "row 3, column name: A value is required.",
        "row 3, column summary: At most 2000 characters (this has 2001).",
        "row 4, column availability: 'everywhere' is not one of: wide, some, pilot, none.",
        "row 4, column cost_band: 'cheap' is not one of: "
        "1-low, 2-medium-low, 3-medium, 4-medium-high, 5-high.",
        "row 4, column id: The same id is on row 2.",
        "row 5, column id: At most 80 characters.",
    ]
    assert not Intervention.objects.exists()  # nothing half-imported


STUDY_HEADER = "id,intervention_id,citation,year,design,country,sample_size,risk_of_bias"


def test_study_numbers_and_references() -> None:
    intervention(slug="fgc")
    found = problems(
        csv_of(
            "s-1,fgc,A trial,twenty,rct,England,-5,low",
            "s-2,nowhere,A trial,2020,rct,England,100,low",
            "s-3,fgc,A trial,99999,rct,England,100,low",
            header=STUDY_HEADER,
        ),
        kind="studies",
    )
    assert found == [
        "row 2, column sample_size: Must not be negative.",
        "row 2, column year: 'twenty' is not a whole number.",
        "row 3, column intervention_id: No intervention has this id.",
        "row 4, column year: Ensure this value is less than or equal to 2100.",
    ]
    assert not Study.objects.exists()


def finding_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "id": "f-1",
        "study_id": "s-1",
        "domain": "parenting",
        "outcome_measure": "Scale",
        "time_point": "6 months",
        "measure_type": "SMD",
        "n_treatment": 20,
        "n_control": 20,
        "mean_treatment": 1.0,
        "sd_treatment": 1.0,
        "mean_control": 0.5,
        "sd_control": 1.0,
    }
    row.update(overrides)
    return row


def test_finding_statistics_are_checked_before_anything_is_written() -> None:
    study(intervention(), slug="s-1")
    rows = [
        finding_row(),
        finding_row(id="f-2", sd_treatment=0),
        finding_row(id="f-3", measure_type="RR", events_treatment=30, events_control=2),
        finding_row(id="f-4", mean_control=None),
        finding_row(id="f-5", mean_treatment="NaN"),
        finding_row(id="f-6", study_id="s-9"),
        finding_row(id="f-7", prespecified="perhaps"),
        finding_row(id="f-8", measure_type="GENERIC", effect_size=0.3),
    ]
    found = problems(json.dumps(rows), kind="findings", fmt="json")
    assert any(p.startswith("row 2, column sd_treatment:") for p in found)
    assert any(p.startswith("row 3, column n_treatment:") for p in found)
    assert any(p.startswith("row 4, column mean_control:") for p in found)
    assert "row 5, column mean_treatment: Must be a finite number." in found
    assert "row 6, column study_id: No study has this id." in found
    assert "row 7, column prespecified: 'perhaps' is not true or false." in found
    assert any(p.startswith("row 8, column se:") for p in found)
    assert not any(p.startswith("row 1,") for p in found), found
    assert not Finding.objects.exists()


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "MAX_ROWS", 1)
    assert problems(csv_of(GOOD, GOOD.replace("fgc", "fgc-2"))) == ["At most 1 rows per file."]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_round_trips(fmt: str) -> None:
    made = intervention(slug="fgc", summary="=SUM(A1) looks like a formula", last_reviewed=None)
    source = study(made, slug="s-1")
    finding(source, slug="f-1")
    finding(source, slug="f-2", measure_type="GENERIC", effect_size=0.25, se=0.1)
    exports = {kind: export_file(kind=kind, fmt=fmt) for kind in transfer.KINDS}
    if fmt == "csv":
        assert "'=SUM(A1)" in exports["interventions"]  # safe in a spreadsheet
    Finding.objects.all().delete()
    Study.objects.all().delete()
    Intervention.objects.all().delete()
    for kind in transfer.KINDS:
        evidence_import(actor=None, kind=kind, fmt=fmt, data=exports[kind].encode())
    assert Intervention.objects.get(slug="fgc").summary == "=SUM(A1) looks like a formula"
    generic = Finding.objects.get(slug="f-2")
    assert (generic.effect_size, generic.se) == (0.25, 0.1)
    assert {kind: export_file(kind=kind, fmt=fmt) for kind in transfer.KINDS} == exports


MANY = (
    "id,name,summary,age_groups,need_levels,settings,setting,delivery,workforce,cost_band,"
    "availability"
)


def test_several_age_groups_levels_and_settings_import_and_export_in_csv_and_json() -> None:
    row = "fgc,FGC,Plans,5-11;0-4,child-protection; edge-of-care,home;court,Home,M,C,1-low,wide"
    evidence_import(
        actor=None, kind="interventions", fmt="csv", data=csv_of(row, header=MANY).encode()
    )
    made = Intervention.objects.get(slug="fgc")
    assert made.age_groups == ["0-4", "5-11"]  # in the choices' order
    assert made.need_levels == ["child-protection", "edge-of-care"]
    assert made.settings == ["home", "court"]
    exported = export_file(kind="interventions", fmt="csv")
    assert ",0-4;5-11,child-protection;edge-of-care,home;court," in exported
    as_json = json.loads(export_file(kind="interventions", fmt="json"))
    assert as_json[0]["age_groups"] == ["0-4", "5-11"] and as_json[0]["settings"] == [
        "home",
        "court",
    ]
    # Both exports import again unchanged.
    for fmt, data in (("csv", exported), ("json", json.dumps(as_json))):
        report = evidence_import(actor=None, kind="interventions", fmt=fmt, data=data.encode())
        assert report.updated == 1
        made.refresh_from_db()
        assert (made.age_groups, made.settings) == (["0-4", "5-11"], ["home", "court"])


def test_a_file_with_the_one_age_group_of_earlier_exports_still_imports() -> None:
    evidence_import(actor=None, kind="interventions", fmt="csv", data=csv_of(GOOD).encode())
    made = Intervention.objects.get(slug="fgc")
    assert (made.age_groups, made.need_levels, made.settings) == (
        ["all"],
        ["child-protection"],
        [],
    )


def test_unknown_or_missing_codes_in_a_list_are_problems() -> None:
    rows = [
        "a,A,S,0-4;teens,early-help,home,H,D,W,1-low,wide",
        "b,B,S,,early-help,garden,H,D,W,1-low,wide",
    ]
    assert problems(csv_of(*rows, header=MANY)) == [
        "row 2, column age_groups: 'teens' is not one of: 0-4, 5-11, 12-17, 18-25, all "
        "(several separated by semicolons).",
        "row 3, column age_groups: A value is required.",
        "row 3, column settings: 'garden' is not one of: home, school, community, "
        "childrens-services, court, health, care-placement (several separated by semicolons).",
    ]
