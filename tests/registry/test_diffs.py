"""Field-level diffs between protocol versions."""

from __future__ import annotations

from typing import Any

from tests.registry.factories import content
from whatworks.registry.diffs import diff_content, word_diff
from whatworks.registry.protocol import parse_content


def _json(data: dict[str, Any]) -> dict[str, Any]:
    return parse_content(data).as_json()


def test_identical_versions_have_no_differences() -> None:
    assert diff_content(_json(content()), _json(content())) == []


def test_changes_to_outcomes_and_criteria_are_highlighted_and_others_are_not() -> None:
    before = _json(content())
    changed = content(sample_size="540 children.")
    changed["outcomes"][0]["time_point"] = "18 months"
    changed["success_criteria"]["criteria"][0]["threshold"] = -0.05
    rows = {row.label: row for row in diff_content(before, _json(changed))}
    assert set(rows) == {
        "Sample size and minimum detectable effect",
        "Outcome “care-entry”: time point",
        "Success criterion on risk difference of “care-entry”",
    }
    assert not rows["Sample size and minimum detectable effect"].highlighted
    assert rows["Outcome “care-entry”: time point"].highlighted
    criterion = rows["Success criterion on risk difference of “care-entry”"]
    assert criterion.highlighted and criterion.change == "changed"
    assert criterion.before.endswith("<= 0") and criterion.after.endswith("<= -0.05")


def test_added_and_removed_outcomes_show_as_such() -> None:
    before = _json(content())
    changed = content()
    changed["outcomes"][1] = {**changed["outcomes"][1], "key": "kinship", "name": "With kin"}
    rows = diff_content(before, _json(changed))
    changes = {(row.label, row.change) for row in rows}
    assert ("Outcome “proceedings”", "removed") in changes
    assert ("Outcome “kinship”", "added") in changes
    assert all(row.highlighted for row in rows)


def test_word_diff_marks_inserted_and_deleted_words() -> None:
    segments = word_diff("follow up at 12 months", "follow up at 18 months")
    assert [(s.op, s.text) for s in segments if s.op != "equal"] == [
        ("delete", "12"),
        ("insert", "18"),
    ]


def test_research_questions_compare_as_a_numbered_list() -> None:
    rows = diff_content(
        _json(content()), _json(content(research_questions=["Q1?", "Does it keep X?"]))
    )
    assert rows[0].section == "research_questions"
    assert "2. Does it keep X?" in rows[0].after
