"""Verdict logic: met / not met / inconclusive, combining, fairness, and the ethics gate."""

from __future__ import annotations

from typing import Any

import pytest

from whatworks_analytics.pilots.config import EthicsAnswer
from whatworks_analytics.pilots.ethics import QUESTION_IDS, ethics_gate
from whatworks_analytics.pilots.metrics import Estimate
from whatworks_analytics.pilots.verdict import (
    FairnessCheck,
    combine,
    decide,
    fairness_checks,
    judge,
)


@pytest.mark.parametrize(
    ("op", "threshold", "value", "low", "high", "expected"),
    [
        (">=", 0.65, 0.75, 0.70, 0.80, "met"),
        (">=", 0.65, 0.55, 0.50, 0.60, "not_met"),
        (">=", 0.65, 0.66, 0.60, 0.70, "inconclusive"),  # straddles
        (">=", 0.65, 0.62, 0.60, 0.70, "inconclusive"),  # straddles, point below
        (">=", 0.65, 0.70, 0.65, 0.75, "met"),  # touching the threshold passes
        (">=", 0.65, 0.70, None, None, "met"),  # no interval: the point alone
        (">=", 0.65, None, None, None, "inconclusive"),  # undefined
        ("<=", 0.15, 0.10, 0.08, 0.12, "met"),
        ("<=", 0.15, 0.20, 0.18, 0.22, "not_met"),
        ("<=", 0.15, 0.14, 0.12, 0.17, "inconclusive"),
    ],
)
def test_judge(
    op: str,
    threshold: float,
    value: float | None,
    low: float | None,
    high: float | None,
    expected: str,
) -> None:
    assert judge(op, threshold, Estimate(value=value, low=low, high=high)) == expected


@pytest.mark.parametrize(
    ("judgements", "how", "expected"),
    [
        (["met", "met"], "all", "met"),
        (["met", "inconclusive"], "all", "inconclusive"),
        (["met", "not_met"], "all", "not_met"),
        (["inconclusive", "not_met"], "all", "not_met"),
        (["met", "not_met"], "any", "met"),
        (["inconclusive", "not_met"], "any", "inconclusive"),
        (["not_met", "not_met"], "any", "not_met"),
        ([], "all", "inconclusive"),
    ],
)
def test_combine(judgements: list[Any], how: str, expected: str) -> None:
    assert combine(judgements, how) == expected


GOOD = {
    "precision": Estimate(value=0.8, low=0.7, high=0.9),
    "recall": Estimate(value=0.6, low=0.55, high=0.65),
}
CRITERIA = [("precision", ">=", 0.65), ("recall", ">=", 0.5)]
FAIR = (FairnessCheck(attribute="sex", judgement="met", outside=(), uncertain=(), judged_groups=2),)


def test_supports_use_only_with_everything() -> None:
    v = decide(
        model="m",
        criteria=CRITERIA,
        estimates=GOOD,
        combine_how="all",
        fairness=FAIR,
        ethics_passed=True,
    )
    assert v.status == "supports_use"
    assert v.sentence.startswith("The evidence supports use of m")


def test_ethics_gate_blocks_supports_use() -> None:
    v = decide(
        model="m",
        criteria=CRITERIA,
        estimates=GOOD,
        combine_how="all",
        fairness=FAIR,
        ethics_passed=False,
        ethics_open=2,
    )
    assert v.status == "ethics_gate_not_passed"
    assert not v.sentence.startswith("The evidence supports use")
    assert "cannot say that the evidence supports use" in v.sentence


def test_not_met_and_inconclusive_sentences() -> None:
    bad = dict(GOOD, precision=Estimate(value=0.4, low=0.35, high=0.45))
    v = decide(
        model="m",
        criteria=CRITERIA,
        estimates=bad,
        combine_how="all",
        fairness=FAIR,
        ethics_passed=True,
    )
    assert v.status == "does_not_support_use"
    assert "precision 0.40 (0.35 to 0.45) against >= 0.65: not met" in v.sentence
    unsure = dict(GOOD, precision=Estimate(value=0.66, low=0.6, high=0.7))
    v = decide(
        model="m",
        criteria=CRITERIA,
        estimates=unsure,
        combine_how="all",
        fairness=FAIR,
        ethics_passed=True,
    )
    assert v.status == "inconclusive"
    assert v.sentence.startswith("The evidence is inconclusive")
    assert [c.judgement for c in v.criteria] == ["inconclusive", "met"]


def test_unfair_errors_do_not_support_use() -> None:
    unfair = (
        FairnessCheck(
            attribute="ethnicity",
            judgement="not_met",
            outside=(
                "children in the black group who escalate are missed more often than in the "
                "white group (ratio 1.60)",
            ),
            uncertain=(),
            judged_groups=5,
        ),
    )
    v = decide(
        model="m",
        criteria=CRITERIA,
        estimates=GOOD,
        combine_how="all",
        fairness=unfair,
        ethics_passed=True,
    )
    assert v.status == "does_not_support_use"
    assert (
        "for some groups: ethnicity: children in the black group who escalate are missed more "
        "often than in the white group (ratio 1.60)." in v.sentence
    )


def _audit(groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key_metrics": ["fnr", "for"],
        "attributes": [
            {"attribute": "ethnicity", "reference_groups": {"fnr": "white", "for": "white"}}
        ],
        "groups": groups,
    }


def _group(
    name: str,
    within: dict[str, bool | None],
    ci: dict[str, list[float]] | None = None,
    ratio: float = 1.0,
    *,
    too_small: bool = False,
    ratios: dict[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "attribute": "ethnicity",
        "group": name,
        "within_band": within,
        "disparity": ratios or {"fnr": ratio, "for": ratio},
        "disparity_ci": ci or {},
        "too_small": too_small,
    }


def test_fairness_checks() -> None:
    inside = _group("white", {"fnr": True, "for": True})
    outside = _group("black", {"fnr": False, "for": True}, {"fnr": [1.4, 1.9]}, ratio=1.6)
    straddle = _group("mixed", {"fnr": False, "for": True}, {"fnr": [1.1, 1.6]}, ratio=1.3)
    small = _group("other", {"fnr": None, "for": None})
    band = (0.8, 1.25)
    [met] = fairness_checks(_audit([inside, small]), attributes=["ethnicity"], band=band)
    assert met.judgement == "met" and met.judged_groups == 1
    [bad] = fairness_checks(
        _audit([inside, outside, straddle]), attributes=["ethnicity"], band=band
    )
    assert bad.judgement == "not_met"
    assert bad.outside == (
        "children in the black group who escalate are missed more often than in the white "
        "group (ratio 1.60)",
    )
    assert bad.uncertain == (
        "children in the mixed group who escalate are missed more often than in the white "
        "group (ratio 1.30)",
    )
    [unsure] = fairness_checks(_audit([inside, straddle]), attributes=["ethnicity"], band=band)
    assert unsure.judgement == "inconclusive"
    [none] = fairness_checks(_audit([small]), attributes=["ethnicity"], band=band)
    assert none.judgement == "inconclusive"


def test_a_group_the_table_calls_too_small_never_makes_the_criterion_inconclusive() -> None:
    """Issue #13: a hand-built audit in which "other" is too small to judge (its FOR
    denominator is short) but, as bundles written before the fix did, still carries a
    judged FNR outside the band with an interval reaching into it.  The table says "too
    small to judge", so the summary must not call the criterion inconclusive because of it."""
    inside = _group("white", {"fnr": True, "for": True})
    asian = _group("asian", {"fnr": True, "for": True}, ratio=1.1)
    small = _group(
        "other", {"fnr": False, "for": None}, {"fnr": [0.9, 2.4]}, ratio=1.5, too_small=True
    )
    [check] = fairness_checks(
        _audit([inside, asian, small]), attributes=["ethnicity"], band=(0.8, 1.25)
    )
    assert check.judgement == "met"
    assert check.uncertain == () and check.outside == ()
    assert check.judged_groups == 2
    v = decide(
        model="m",
        criteria=CRITERIA,
        estimates=GOOD,
        combine_how="all",
        fairness=(check,),
        ethics_passed=True,
    )
    assert v.status == "supports_use" and "inconclusive" not in v.sentence


def test_each_disparity_says_which_way_it_goes() -> None:
    """A false omission ratio below the band means the group is missed less often; a false
    negative ratio above it, more often (hand-built audit; ratios are group / reference)."""
    inside = _group("white", {"fnr": True, "for": True})
    fewer_missed = _group(
        "asian", {"fnr": True, "for": False}, {"for": [0.4, 0.7]}, ratios={"fnr": 1.0, "for": 0.55}
    )
    more_missed = _group(
        "black", {"fnr": False, "for": True}, {"fnr": [1.4, 1.9]}, ratios={"fnr": 1.6, "for": 1.1}
    )
    [check] = fairness_checks(
        _audit([inside, fewer_missed, more_missed]), attributes=["ethnicity"], band=(0.8, 1.25)
    )
    assert check.outside == (
        "children in the asian group who are not flagged escalate less often than in the white "
        "group: fewer of them are missed (ratio 0.55)",
        "children in the black group who escalate are missed more often than in the white "
        "group (ratio 1.60)",
    )


def test_an_unsettled_fairness_criterion_says_which_group_and_why() -> None:
    inside = _group("white", {"fnr": True, "for": True})
    straddle = _group("mixed", {"fnr": False, "for": True}, {"fnr": [1.1, 1.6]}, ratio=1.3)
    [check] = fairness_checks(
        _audit([inside, straddle]), attributes=["ethnicity"], band=(0.8, 1.25)
    )
    v = decide(
        model="m",
        criteria=CRITERIA,
        estimates=GOOD,
        combine_how="all",
        fairness=(check,),
        ethics_passed=True,
    )
    assert v.status == "inconclusive"
    assert (
        "ethnicity: children in the mixed group who escalate are missed more often than in the "
        "white group (ratio 1.30), but its interval reaches into the band" in v.sentence
    )


def test_ethics_gate() -> None:
    yes = {q: EthicsAnswer(answer="yes") for q in QUESTION_IDS}
    assert ethics_gate(yes).passed
    partly = dict(yes, dpia=EthicsAnswer(answer="partly", note="draft"))
    gate = ethics_gate(partly)
    assert not gate.passed
    assert [i.id for i in gate.open_items] == ["dpia"]
    missing = {q: a for q, a in yes.items() if q != "involvement"}
    gate = ethics_gate(missing)
    assert not gate.passed
    assert gate.open_items[0].answer == "unanswered"
    assert len(gate.items) == 7
