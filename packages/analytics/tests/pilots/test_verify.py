"""Checking a bundle made elsewhere (issue #13, item 1): nothing derivable is taken on trust.

The reference is the engine itself: a bundle it made must pass untouched, and each edit a
forger could make (a verdict, a judgement, a count, a rate, an interval, a disparity ratio)
must be caught and named, all at once.  The counts-to-rates formulas are the hand-checkable
ones of :mod:`whatworks_analytics.fairness.metrics` (precision = tp / (tp + fp), etc.).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from whatworks_analytics.pilots.bundle import ResultBundle
from whatworks_analytics.pilots.run import run
from whatworks_analytics.pilots.verify import check_bundle

from .test_run import dataset, default_run, make_config

YES = {"answer": "yes", "note": "reviewed"}


@lru_cache(maxsize=1)
def genuine() -> dict[str, Any]:
    return default_run().bundle.model_dump(mode="json")


def edited() -> dict[str, Any]:
    return copy.deepcopy(genuine())


def problems_of(data: dict[str, Any]) -> tuple[str, ...]:
    return check_bundle(ResultBundle.model_validate(data)).problems


def pooled(data: dict[str, Any], model: str) -> dict[str, Any]:
    return next(
        r["metrics"]
        for r in data["results"]
        if r["model"] == model and r["split"] is None and r["evaluation"] == "temporal"
    )


def test_a_bundle_the_engine_made_passes_and_its_verdict_is_derived_again() -> None:
    check = check_bundle(default_run().bundle)
    assert check.problems == ()
    assert check.verdict is not None and check.ethics is not None
    assert check.verdict.to_dict()["status"] == genuine()["verdict"]["status"]
    assert check.verdict.success == genuine()["verdict"]["success"]


def test_the_forged_verdict_of_the_issue_is_refused_with_every_reason() -> None:
    """Verdict set to "supports use", judgements to "met", the ethics answers left as they
    were (not yes), the config untouched."""
    data = edited()
    assert data["verdict"]["status"] != "supports_use"
    assert not data["ethics"]["passed"]
    data["verdict"].update(
        status="supports_use",
        sentence="The evidence supports use of lightgbm.",
        success="met",
        fairness="met",
        ethics_passed=True,
    )
    for criterion in data["verdict"]["criteria"]:
        criterion["judgement"] = "met"
    for check in data["verdict"]["fairness_checks"]:
        check["judgement"] = "met"
    data["ethics"]["passed"] = True
    problems = problems_of(data)
    text = "\n".join(problems)
    assert "supports_use" in text and "ethics gate is stated passed" in text
    assert "ethics: the checklist differs from the config's answers" in text
    for criterion in genuine()["verdict"]["criteria"]:
        if criterion["judgement"] != "met":
            assert f"criterion {criterion['metric']}" in text
    assert "the success criteria are stated 'met'" in text


def test_a_bundle_whose_ethics_answers_are_all_yes_in_the_config_passes_the_gate() -> None:
    answers = dict.fromkeys(
        (
            "purpose_proportionality",
            "data_quality",
            "involvement",
            "transparency_to_families",
            "decision_with_social_worker",
            "independent_review",
            "dpia",
        ),
        YES,
    )
    bundle = run(make_config(ethics=answers), dataset()).bundle
    check = check_bundle(bundle)
    assert check.problems == () and check.ethics is not None and check.ethics.passed


def test_metrics_that_disagree_with_their_counts_are_refused() -> None:
    data = edited()
    m = pooled(data, "lightgbm")
    m["precision"]["value"] = 0.9  # tp / (tp + fp) is not 0.9
    m["tp"] += 1  # n, positives, flagged and the test periods no longer add up
    problems = problems_of(data)
    where = "results: lightgbm, temporal, pooled"
    assert any(p.startswith(f"{where}: precision is 0.9 but its counts give") for p in problems)
    assert any(p.startswith(f"{where}: n = ") for p in problems)
    assert any("lightgbm's pooled tp is" in p for p in problems)


def test_an_estimate_outside_its_own_interval_is_refused() -> None:
    data = edited()
    recall = pooled(data, "logistic")["roc_auc"]
    recall["value"] = recall["high"] + 0.05
    assert any(
        "logistic, temporal, pooled: roc_auc" in p and "outside its own interval" in p
        for p in problems_of(data)
    )


def test_a_judgement_that_does_not_follow_from_its_estimate_is_refused() -> None:
    data = edited()
    criterion = data["verdict"]["criteria"][0]
    assert criterion["judgement"] != "met"
    criterion["judgement"] = "met"
    problems = problems_of(data)
    assert any(f"criterion {criterion['metric']}" in p and "judged 'met'" in p for p in problems)


def test_a_disparity_ratio_or_a_rate_edited_in_the_audit_is_refused() -> None:
    data = edited()
    group = next(
        g
        for g in data["fairness"]["groups"]
        if g["attribute"] == "ethnicity" and not g["too_small"]
    )
    group["disparity"]["fnr"] = 1.0
    group["precision"] = 0.99
    problems = problems_of(data)
    where = f"fairness: ethnicity {group['group']}"
    assert any(p.startswith(f"{where}: fnr ratio 1 but the counts give") for p in problems) or (
        # the group may be the reference, whose ratio is 1 by definition
        group["group"] == data["fairness"]["attributes"][0]["reference_groups"]["fnr"]
    )
    assert any(p.startswith(f"{where}: precision is 0.99") for p in problems)


def test_every_problem_is_listed_at_once() -> None:
    data = edited()
    pooled(data, "baseline")["recall"]["value"] = 0.5
    data["cohort"]["base_rate"] = 0.99
    data["verdict"]["status"] = "supports_use"
    problems = problems_of(data)
    assert len(problems) >= 3
    assert any(p.startswith("cohort: base rate 0.99") for p in problems)
    assert any(p.startswith("results: baseline, temporal, pooled: recall") for p in problems)
    assert any(p.startswith("verdict: it says") for p in problems)


def test_an_edited_config_is_caught_by_its_hash() -> None:
    data = edited()
    data["config"]["success"]["criteria"][0]["value"] = 0.01
    assert "The bundle's config does not match its own hash: it was altered." in problems_of(data)


def test_an_edited_difference_summary_or_auc_in_the_audit_is_refused() -> None:
    data = edited()
    fairness = data["fairness"]
    key = fairness["key_metrics"][0]
    group = next(g for g in fairness["groups"] if g["attribute"] == "sex")
    group["difference"][key] = 0.5
    summary = next(s for s in fairness["summaries"] if s["attribute"] == "sex")
    summary["all_groups"]["demographic_parity_difference"] = 0.9
    scored = next(s for s in fairness["scores"]["groups"] if s["attribute"] == "sex")
    scored["roc_auc"] = 1.5
    problems = problems_of(data)
    where = f"fairness: sex {group['group']}"
    assert any(p.startswith(f"{where}: {key} difference 0.5 but the counts give") for p in problems)
    assert any(
        p.startswith("fairness: sex: demographic_parity_difference (all_groups) is 0.9")
        for p in problems
    )
    assert any(
        p.startswith(f"fairness: scores of sex {scored['group']}: roc_auc 1.5 is outside")
        for p in problems
    )
