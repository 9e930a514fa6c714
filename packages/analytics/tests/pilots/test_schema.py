"""The data contract is coherent, documented, and matches the calibration figures."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from whatworks_analytics.pilots import schema
from whatworks_analytics.pilots.calibration import ENGLAND_2019, ETHNICITY_KNOWN_COUNTS
from whatworks_analytics.pilots.schema import CONTRACT, ColumnKind

REPO = Path(__file__).resolve().parents[4]
DOC = REPO / "docs" / "data-contract.md"
STATISTICS = (
    REPO.parent / "shared" / "data" / "statistics" / "england_childrens_social_care_2019.json"
)


def test_table_and_column_names_are_unique() -> None:
    assert len(set(CONTRACT.table_names)) == len(CONTRACT.table_names) == 6
    for table in CONTRACT.tables:
        assert len(set(table.column_names)) == len(table.column_names)


def test_every_key_is_a_required_id_column() -> None:
    for table in CONTRACT.tables:
        key = table.column(table.key)
        assert key.kind is ColumnKind.ID
        assert key.required
        assert table.column_names[0] == table.key


def test_coded_columns_have_unique_codes_and_others_none() -> None:
    for table in CONTRACT.tables:
        for column in table.columns:
            coded = column.kind in (ColumnKind.CODE, ColumnKind.CODES)
            assert bool(column.codes) == coded, f"{table.name}.{column.name}"
            assert len(set(column.allowed)) == len(column.allowed)
            assert all(code == code.strip().lower() and code for code in column.allowed)
            assert all(schema.CODES_SEPARATOR not in code for code in column.allowed)


def test_references_and_rules_name_existing_columns() -> None:
    for ref in CONTRACT.references:
        assert ref.column in CONTRACT.table(ref.table).column_names
        assert CONTRACT.table(ref.target).column(ref.column).kind is ColumnKind.ID
    for rule in CONTRACT.same_child:
        assert rule.via in CONTRACT.table(rule.table).column_names
        assert "child_id" in CONTRACT.table(rule.target).column_names
    dated = (ColumnKind.DATE, ColumnKind.MONTH)
    for order in CONTRACT.date_orders:
        assert CONTRACT.table(order.table).column(order.column).kind in dated
        assert CONTRACT.table(order.earlier_table).column(order.earlier_column).kind in dated
        if order.via is None:
            assert order.table == order.earlier_table
        else:
            referenced = {(r.table, r.column, r.target) for r in CONTRACT.references}
            assert (order.table, order.via, order.earlier_table) in referenced


def test_loaded_dtypes() -> None:
    referrals = CONTRACT.table("referrals").schema
    assert referrals["referral_id"] == pl.String
    assert referrals["referral_date"] == pl.Date
    assert referrals["nfa"] == pl.Boolean
    assert isinstance(referrals["source"], pl.Enum)
    factors = CONTRACT.table("assessments").schema["factors"]
    assert isinstance(factors, pl.List)
    assert isinstance(factors.inner, pl.Enum)
    assert CONTRACT.table("children").schema["birth_month"] == pl.Date


def test_unknown_names_raise() -> None:
    with pytest.raises(KeyError):
        CONTRACT.table("nope")
    with pytest.raises(KeyError):
        CONTRACT.table("children").column("nope")


def test_document_is_in_step_with_the_contract() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert schema.update_markdown(text) == text, (
        "docs/data-contract.md is out of date; run "
        "`uv run --frozen python -m whatworks_analytics.pilots.schema docs/data-contract.md`"
    )


def test_document_lists_every_table_column_and_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    for table in CONTRACT.tables:
        section = text.split(f"### `{table.name}`", 1)[1].split("\n### ", 1)[0]
        for column in table.columns:
            assert f"| `{column.name}` |" in section, f"{table.name}.{column.name}"
            for code in column.allowed:
                assert f"| `{code}` |" in section, f"{table.name}.{column.name}: {code}"


def test_update_markdown_replaces_only_the_generated_part(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Title\n\n{schema.BEGIN_MARKER}\nstale\n{schema.END_MARKER}\n\nEnd.\n")
    assert schema.main([str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith("# Title\n\n") and text.endswith("\n\nEnd.\n")
    assert "stale" not in text and "### `looked_after_episodes`" in text
    assert schema.main([]) == 2


def test_calibration_uses_contract_codes() -> None:
    def codes(table: str, column: str) -> set[str]:
        return set(CONTRACT.table(table).column(column).allowed)

    cal = ENGLAND_2019
    assert set(cal.referral_source_share) == codes("referrals", "source")
    assert set(cal.factor_share) <= codes("assessments", "factors")
    assert set(cal.cpp_category_share) == codes("child_protection_plans", "category")
    assert set(cal.cla_legal_status_share) <= codes("looked_after_episodes", "legal_status")
    assert set(cal.sex_share) == codes("children", "sex")
    assert set(cal.ethnicity_share) == codes("children", "ethnicity")
    assert set(cal.disability_code_share) == codes("children", "disability")
    for shares in (
        cal.referral_source_share,
        cal.cpp_category_share,
        cal.sex_share,
        cal.ethnicity_share,
        cal.disability_code_share,
        cal.highest_intervention_share,
        cal.cla_legal_status_share,
    ):
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    # The published age bands are approximate and sum to 0.99; the generator normalises.
    assert sum(band[2] for band in cal.age_bands) == pytest.approx(1.0, abs=0.02)


@pytest.mark.skipif(not STATISTICS.exists(), reason="shared statistics not available")
def test_calibration_copies_the_published_figures() -> None:
    stats = json.loads(STATISTICS.read_text(encoding="utf-8"))
    cal = ENGLAND_2019
    assert cal.re_referral_rate == stats["re_referral_rate_12_months"]["value"]
    assert dict(cal.sex_share) == {
        "unknown" if k == "unborn_or_unknown" else k: v
        for k, v in stats["cin_gender_share"]["value"].items()
    }
    published = {k.lower(): v for k, v in stats["cin_ethnicity_counts"]["value"].items()}
    assert dict(ETHNICITY_KNOWN_COUNTS) == published
    assert cal.referral_source_share == pytest.approx(
        stats["referral_source_share"]["value"], abs=1e-3
    )
    assert dict(cal.factor_share) == stats["factors_at_end_of_assessment_share"]["value"]
    assert (
        dict(cal.highest_intervention_share)
        == (stats["highest_intervention_per_referral_share"]["value"])
    )
    assert dict(cal.cla_legal_status_share) == stats["cla_legal_status_share"]["value"]
    assert cal.cpp_category_share["neglect"] == pytest.approx(
        stats["cp_plan_initial_category_share"]["value"]["neglect"], abs=1e-3
    )
    assert cal.disability_share == stats["cin_with_disability_share"]["value"]
    assert (
        cal.cla_starts_per_referral == stats["derived_ratios"]["value"]["cla_starts_per_referral"]
    )
    assert cal.icpc_per_s47 == stats["derived_ratios"]["value"]["icpc_per_s47"]
