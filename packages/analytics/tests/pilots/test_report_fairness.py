"""The pilot report's fairness section shows differences, parity summaries, AUC and calibration."""

from __future__ import annotations

from whatworks_analytics.pilots.report import report_sections

from .test_report import bundle


def test_the_audit_in_the_bundle_has_differences_summaries_and_scores() -> None:
    fairness = bundle().fairness
    assert fairness is not None
    assert fairness["scores"]["risk_score"] == "score"
    assert fairness["scores"]["calibration_note"] is None  # model probabilities
    group = fairness["groups"][0]
    assert set(group["difference"]) == set(group["disparity"])
    assert "difference_ci" in group  # the pilot's audit has a bootstrap
    attributes = {a["attribute"] for a in fairness["attributes"]}
    assert {s["attribute"] for s in fairness["summaries"]} == attributes
    scored = fairness["scores"]["groups"]
    assert {(g["attribute"], g["group"]) for g in scored} == {
        (g["attribute"], g["group"]) for g in fairness["groups"]
    }
    assert all(0 <= g["roc_auc"] <= 1 for g in scored if g["roc_auc"] is not None)
    # Intervals for the attributes' groups; the intersections' cells get point estimates.
    assert all(("roc_auc" in g["ci"]) != (" & " in g["attribute"]) for g in scored)


def test_the_fairness_section_has_the_new_tables() -> None:
    fairness = bundle().fairness
    assert fairness is not None
    section = report_sections(bundle()).fairness
    assert "Differences and ratios to the reference group" in section
    assert "Parity summaries" in section
    assert "Equalised odds difference (0 is parity)" in section
    assert "Ranking and calibration of the score by group" in section
    assert "Calibration by " in section
    first = next(g for g in fairness["scores"]["groups"] if " & " not in g["attribute"])
    assert f"{first['roc_auc']:.2f} (" in section
