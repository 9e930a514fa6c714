"""Disparity ratios, the tolerance band, reference selection and the too-small rule."""

from __future__ import annotations

import pytest

from whatworks_analytics.fairness import (
    Band,
    GroupCounts,
    ReferenceRule,
    SizeRule,
    compare_groups,
    disparity_ratio,
    parse_reference_option,
    select_reference,
)

LENIENT = SizeRule(min_group_size=1, min_denominator=1)


def counts(group: str, tp: int, fp: int, tn: int, fn: int, attribute: str = "eth") -> GroupCounts:
    return GroupCounts(attribute=attribute, group=group, tp=tp, fp=fp, tn=tn, fn=fn)


# A: n=10, fpr 1/5, fnr 2/5, precision 3/4; B: n=8, fpr 2/6, fnr 1/2, precision 1/3.
A = counts("A", 3, 1, 4, 2)
B = counts("B", 1, 2, 4, 1)


def test_ratios_to_the_largest_group_by_hand() -> None:
    result = compare_groups([A, B], size_rule=LENIENT)
    assert result.references["fpr"] == "A"
    b = result.group("B")
    assert b.ratios() == pytest.approx(
        {
            "selection_rate": (3 / 8) / (4 / 10),  # 0.9375
            "fpr": (2 / 6) / (1 / 5),  # 1.667
            "fnr": (1 / 2) / (2 / 5),  # 1.25
            "precision": (1 / 3) / (3 / 4),  # 0.444
            "npv": (4 / 5) / (4 / 6),  # 1.2
            "fdr": (2 / 3) / (1 / 4),  # 2.667
            "for": (1 / 5) / (2 / 6),  # 0.6
        }
    )
    within = b.within_band()
    assert within["selection_rate"] is True
    assert within["fpr"] is False
    assert within["precision"] is False
    assert within["npv"] is True
    assert within["fdr"] is False
    assert within["for"] is False
    a = result.group("A")
    assert set(a.ratios().values()) == {1.0}
    assert all(a.within_band().values())
    assert not a.too_small and not b.too_small


def test_band_limits_are_inclusive_and_parsed() -> None:
    band = Band.parse("0.8-1.25")
    assert band == Band()
    assert band.contains(0.8) and band.contains(1.25) and band.contains(1.0)
    assert not band.contains(0.7999) and not band.contains(1.2501)
    assert Band.parse(" 0.9 - 1.1 ") == Band(low=0.9, high=1.1)


@pytest.mark.parametrize("text", ["0.8", "a-b", "1.25-0.8", "0-2", "1.1-1.3", "0.8-inf"])
def test_bad_bands_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="band"):
        Band.parse(text)


def test_disparity_ratio_undefined_cases() -> None:
    assert disparity_ratio(0.2, 0.1) == pytest.approx(2.0)
    assert disparity_ratio(0.0, 0.0) is None
    assert disparity_ratio(0.3, 0.0) is None
    assert disparity_ratio(None, 0.2) is None
    assert disparity_ratio(0.2, None) is None


def test_reference_rules() -> None:
    small_low = counts("C", 0, 1, 9, 0)  # fpr 0.1, n=10
    big = counts("A", 10, 20, 60, 10)  # fpr 0.25, n=100
    mid = counts("B", 5, 6, 24, 5)  # fpr 0.2, n=40
    groups = [big, mid, small_low]
    rule = SizeRule(min_group_size=20, min_denominator=5)
    largest = ReferenceRule()
    assert select_reference(groups, rule=largest, metric="fpr", size_rule=rule) == "A"
    lowest = ReferenceRule(kind="lowest")
    # C has the lowest FPR but is too small to be a reference; B is the lowest eligible group.
    assert select_reference(groups, rule=lowest, metric="fpr", size_rule=rule) == "B"
    assert select_reference(groups, rule=lowest, metric="fpr", size_rule=LENIENT) == "C"
    # FNR: A and B tie at 1/2 (C has no positives, so no FNR); the larger group wins the tie.
    assert select_reference(groups, rule=lowest, metric="fnr", size_rule=LENIENT) == "A"
    named = ReferenceRule(kind="named", group="B")
    assert select_reference(groups, rule=named, metric="fpr", size_rule=rule) == "B"
    with pytest.raises(KeyError):
        select_reference(groups, rule=ReferenceRule.parse("Z"), metric="fpr", size_rule=rule)


def test_largest_ties_break_by_name() -> None:
    groups = [counts("b", 1, 1, 1, 1), counts("a", 1, 1, 1, 1)]
    assert select_reference(groups, rule=ReferenceRule(), metric="fpr", size_rule=LENIENT) == "a"


def test_lowest_reference_makes_every_judged_ratio_at_least_one() -> None:
    groups = [counts("A", 10, 20, 60, 10), counts("B", 5, 6, 24, 5), counts("C", 8, 4, 30, 8)]
    result = compare_groups(groups, rule=ReferenceRule(kind="lowest"), size_rule=LENIENT)
    assert result.references["fpr"] == "C"  # 4/34
    assert result.references["precision"] == "A"  # 10/30 < 5/11 < 8/12
    for group in result.groups:
        for item in group.disparities:
            assert item.ratio is not None and item.ratio >= 1 - 1e-12


def test_parse_reference_option() -> None:
    assert parse_reference_option("eth=White") == (
        "eth",
        ReferenceRule(kind="named", group="White"),
    )
    assert parse_reference_option("eth=largest") == ("eth", ReferenceRule())
    assert parse_reference_option("eth=lowest") == ("eth", ReferenceRule(kind="lowest"))
    assert parse_reference_option("sex & eth=F & A=B")[1].group == "F & A=B"
    for bad in ("eth", "=White", "eth=", "eth="):
        with pytest.raises(ValueError, match="ATTRIBUTE=GROUP"):
            parse_reference_option(bad)
    with pytest.raises(ValueError, match="named"):
        ReferenceRule(kind="named")


def test_too_small_groups_are_not_judged() -> None:
    big = counts("A", 30, 30, 300, 40)  # n=400
    tiny = counts("T", 1, 1, 5, 2)  # n=9 < 50
    few_negatives = counts("N", 40, 5, 10, 20)  # n=75, negatives = 15 < 20
    result = compare_groups(
        [big, tiny, few_negatives],
        size_rule=SizeRule(min_group_size=50, min_denominator=20),
        key_metrics=("fpr", "fdr"),
    )
    t = result.group("T")
    assert t.too_small
    assert all(v is None for v in t.within_band().values())
    assert t.ratios()["fpr"] is not None  # the ratio is reported, the verdict withheld
    assert "n = 9" in t.too_small_reasons[0]

    n = result.group("N")
    assert n.too_small
    assert n.within_band()["fpr"] is None
    assert n.disparity("fpr").note == "group too small to judge"
    assert any("negatives = 15" in reason for reason in n.too_small_reasons)
    # FNR's denominator (positives = 60) is large enough, but the table calls the group too
    # small to judge, so no metric of it is judged (issue #13: a group called too small
    # must not drive a verdict); its ratio is still reported.
    assert all(v is None for v in n.within_band().values())
    assert n.disparity("fnr").note == "group too small to judge"
    assert n.ratios()["fnr"] is not None
    assert not result.group("A").too_small


def test_too_small_reference_is_a_note_and_no_verdicts() -> None:
    reference = counts("R", 0, 2, 58, 5, attribute="x")  # fdr denominator flagged = 2
    other = counts("S", 3, 3, 40, 6, attribute="x")
    result = compare_groups(
        [reference, other],
        rule=ReferenceRule(kind="named", group="R"),
        size_rule=SizeRule(min_group_size=10, min_denominator=5),
    )
    assert result.group("S").within_band()["fdr"] is None
    assert result.group("S").disparity("fdr").note == "reference group too small to judge against"
    assert any("fdr" in note and "too small" in note for note in result.notes)


def test_zero_reference_rate_gives_undefined_ratio_and_a_note() -> None:
    zero = counts("Z", 10, 0, 90, 10)  # fpr 0
    other = counts("O", 10, 5, 40, 10)
    result = compare_groups([zero, other], size_rule=LENIENT)
    o = result.group("O").disparity("fpr")
    assert o.ratio is None and o.within_band is None
    assert "reference rate is 0" in (o.note or "")
    assert result.group("Z").disparity("fpr").ratio is None  # 0/0
    assert any("rate of 0" in note for note in result.notes)


def test_groups_of_several_attributes_are_refused() -> None:
    with pytest.raises(ValueError, match="several attributes"):
        compare_groups([counts("A", 1, 1, 1, 1, "x"), counts("A", 1, 1, 1, 1, "y")])
