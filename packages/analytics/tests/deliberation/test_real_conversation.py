"""The analysis of a real conversation (Pol.is 15-per-hour-seattle), checked independently.

Counts are recomputed here with plain polars group-bys straight from votes.csv (latest vote
per participant and comment, rejected comments dropped, Pol.is's own groups from
participants-votes.csv) and compared with every count the analysis reports.  The export does
not publish Pol.is's representative statements, so the published figures compared are the
ones it does carry: the group memberships (summary.csv says 2 groups) and, in
test_polis_io.py, the per-comment and per-participant vote tallies.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from whatworks_analytics.deliberation import Z_90, analyse, read_export

REPO = Path(__file__).resolve().parents[4]
SEATTLE = REPO / ".." / "shared" / "data" / "external" / "polis" / "15-per-hour-seattle"
pytestmark = pytest.mark.skipif(
    not (SEATTLE / "votes.csv").exists(),
    reason=f"the Pol.is 15-per-hour-seattle export is not at {SEATTLE}",
)


@pytest.fixture(scope="module")
def latest() -> pl.DataFrame:
    """Latest vote per (voter, comment) on comments that were not rejected."""
    votes = pl.read_csv(SEATTLE / "votes.csv")
    comments = pl.read_csv(SEATTLE / "comments.csv")
    kept = comments.filter(pl.col("moderated") != -1)["comment-id"]
    return (
        votes.filter(pl.col("comment-id").is_in(kept.implode()))
        .group_by("voter-id", "comment-id")
        .agg(pl.col("vote").sort_by("timestamp").last())
    )


@pytest.fixture(scope="module")
def export_groups() -> pl.DataFrame:
    people = pl.read_csv(SEATTLE / "participants-votes.csv", infer_schema=False)
    return people.select(
        pl.col("participant").cast(pl.Int64).alias("voter-id"),
        pl.col("group-id").cast(pl.Int64).alias("group"),
    ).drop_nulls()


@pytest.fixture(scope="module")
def with_export_groups() -> dict[str, Any]:
    export = read_export(SEATTLE)
    return analyse(export.matrix(), groups=export.groups).to_dict()


@pytest.fixture(scope="module")
def clustered() -> dict[str, Any]:
    return analyse(read_export(SEATTLE).matrix(), seed=0).to_dict()


def tallies(frame: pl.DataFrame, by: list[str]) -> dict[tuple[int, ...], tuple[int, int, int]]:
    counted = frame.group_by(by).agg(
        (pl.col("vote") == 1).sum().alias("a"),
        (pl.col("vote") == -1).sum().alias("d"),
        pl.len().alias("s"),
    )
    return {
        tuple(row[k] for k in by): (row["a"], row["d"], row["s"])
        for row in counted.iter_rows(named=True)
    }


def test_consensus_counts_and_scores(
    latest: pl.DataFrame, with_export_groups: dict[str, Any]
) -> None:
    counts = tallies(latest, ["comment-id"])
    consensus = with_export_groups["consensus"]
    for side, success in (("agree", 0), ("disagree", 1)):
        for item in consensus[side]:
            a, d, s = counts[(item["tid"],)]
            assert (item["n_agree"], item["n_disagree"], item["n_seen"]) == (a, d, s)
            hits = (a, d)[success]
            assert item["p_success"] == pytest.approx((hits + 1) / (s + 2))
            assert item["p_test"] == pytest.approx(
                2 * math.sqrt(s + 1) * ((hits + 1) / (s + 1) - 0.5)
            )
    # hand-checked: comment 45 ("Something needs to be done to address income inequality and
    # this is a good if imperfect start": 54 of 75 agree) heads the list; comment 26 ("This is
    # cool! I say hike it up to $20": 62 of 99 disagree) is the only disagreement consensus
    assert [i["tid"] for i in consensus["agree"]] == [45, 12, 11, 48, 2]
    assert (consensus["agree"][0]["n_agree"], consensus["agree"][0]["n_seen"]) == (54, 75)
    assert [(i["tid"], i["n_disagree"], i["n_seen"]) for i in consensus["disagree"]] == [
        (26, 62, 99)
    ]
    # the ranking is the metric p * z over every eligible comment, independently recomputed
    scored = []
    for (tid,), (a, _, s) in counts.items():
        p, z = (a + 1) / (s + 2), 2 * math.sqrt(s + 1) * ((a + 1) / (s + 1) - 0.5)
        if p > 0.5 and z > Z_90:
            scored.append((-p * z, tid))
    assert [tid for _, tid in sorted(scored)[:5]] == [i["tid"] for i in consensus["agree"]]


def test_representative_counts_with_pol_is_groups(
    latest: pl.DataFrame, export_groups: pl.DataFrame, with_export_groups: dict[str, Any]
) -> None:
    joined = latest.join(export_groups, on="voter-id")
    by_group = tallies(joined, ["group", "comment-id"])
    representative = with_export_groups["representative"]
    assert set(representative) == {"0", "1"}
    for gid, items in representative.items():
        other = 1 - int(gid)
        assert 1 <= len(items) <= 5
        for item in items:
            assert (item["n_agree"], item["n_disagree"], item["n_seen"]) == by_group[
                (int(gid), item["tid"])
            ]
            assert (
                item["n_agree_other"],
                item["n_disagree_other"],
                item["n_seen_other"],
            ) == by_group[(other, item["tid"])]
    # hand-checked: group 0 (99 people) stands out agreeing with comment 12 ("It's called a
    # 'living wage' for a reason ...": 59 of 70 agree, against 6 of 27 in group 1); group 1
    # (39 people) agreeing with comment 20 ("Reactionary liberal trash. ...": 27 of 33,
    # against 9 of 62)
    top0, top1 = representative["0"][0], representative["1"][0]
    assert (top0["tid"], top0["repful_for"], top0["n_agree"], top0["n_seen"]) == (
        12,
        "agree",
        59,
        70,
    )
    assert (top0["n_agree_other"], top0["n_seen_other"]) == (6, 27)
    assert (top1["tid"], top1["repful_for"], top1["n_agree"], top1["n_seen"]) == (
        20,
        "agree",
        27,
        33,
    )
    assert (top1["n_agree_other"], top1["n_seen_other"]) == (9, 62)
    pa = (59 + 1) / (70 + 2)
    ra = pa / ((6 + 1) / (27 + 2))
    assert top0["repness"] == pytest.approx(ra)


def test_group_informed_consensus_counts(
    latest: pl.DataFrame, export_groups: pl.DataFrame, with_export_groups: dict[str, Any]
) -> None:
    by_group = tallies(latest.join(export_groups, on="voter-id"), ["group", "comment-id"])
    items = with_export_groups["group_informed_consensus"]
    assert len(items) == 31  # every comment that was not rejected has votes
    for item in items:
        product = 1.0
        for group in item["groups"]:
            a, d, s = by_group.get((group["group"], item["tid"]), (0, 0, 0))
            assert (group["n_agree"], group["n_disagree"], group["n_seen"]) == (a, d, s)
            product *= (a + 1) / (s + 2)
        assert item["consensus"] == pytest.approx(product)
    scores = [item["consensus"] for item in items]
    assert scores == sorted(scores, reverse=True)
    assert items[0]["tid"] == 2


def test_groups_from_export_are_pol_is_groups(with_export_groups: dict[str, Any]) -> None:
    people = pl.read_csv(SEATTLE / "participants-votes.csv", infer_schema=False)
    for group in with_export_groups["groups"]:
        expected = (
            people.filter(pl.col("group-id") == str(group["id"]))["participant"]
            .cast(pl.Int64)
            .sort()
            .to_list()
        )
        assert group["members"] == expected
    assert [len(g["members"]) for g in with_export_groups["groups"]] == [99, 39]


def test_own_clustering_resembles_pol_is(
    clustered: dict[str, Any], with_export_groups: dict[str, Any]
) -> None:
    """Same number of groups as Pol.is (summary.csv: 2), the same 138 participants placed,
    most of them in the corresponding group, and the same leading representative comments."""
    ours = clustered["groups"]
    theirs = with_export_groups["groups"]
    assert len(ours) == len(theirs) == 2
    placed_ours = sorted(p for g in ours for p in g["members"])
    placed_theirs = sorted(p for g in theirs for p in g["members"])
    assert placed_ours == placed_theirs
    same = sum(
        len(set(a["members"]) & set(b["members"])) for a, b in zip(ours, theirs, strict=True)
    )
    assert same / len(placed_theirs) > 0.85
    for gid in ("0", "1"):
        assert (
            clustered["representative"][gid][0]["tid"]
            == (with_export_groups["representative"][gid][0]["tid"])
        )
    assert clustered["consensus"] == with_export_groups["consensus"]  # does not use groups


def test_rejected_comments_leave_every_list(
    clustered: dict[str, Any], with_export_groups: dict[str, Any]
) -> None:
    comments = pl.read_csv(SEATTLE / "comments.csv")
    rejected = set(comments.filter(pl.col("moderated") == -1)["comment-id"].to_list())
    assert len(rejected) == 23
    for result in (clustered, with_export_groups):
        mentioned = {i["tid"] for i in result["group_informed_consensus"]}
        for side in ("agree", "disagree"):
            mentioned |= {i["tid"] for i in result["consensus"][side]}
        for items in result["representative"].values():
            mentioned |= {i["tid"] for i in items}
        assert mentioned.isdisjoint(rejected)
