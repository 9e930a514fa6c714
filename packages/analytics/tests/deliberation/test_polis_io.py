"""Reading and writing the Pol.is open-data layout, checked against a real export.

The real conversation is 15-per-hour-seattle from compdemocracy/openData (CC BY 4.0; see
ATTRIBUTION.md beside it), read from the shared data folder next to the repository.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from whatworks_analytics.deliberation import (
    PolisExport,
    PolisFormatError,
    VoteMatrix,
    build_matrix,
    event_counts,
    placed_mask,
    read_export,
    write_export,
)

REPO = Path(__file__).resolve().parents[4]
SEATTLE = REPO / ".." / "shared" / "data" / "external" / "polis" / "15-per-hour-seattle"
needs_seattle = pytest.mark.skipif(
    not (SEATTLE / "votes.csv").exists(),
    reason=f"the Pol.is 15-per-hour-seattle export is not at {SEATTLE}",
)


def all_comments_matrix(export: PolisExport) -> VoteMatrix:
    """Latest votes on every comment, moderated or not (as participants-votes.csv has them)."""
    return build_matrix(
        participant=export.votes["pid"].to_numpy(),
        statement=export.votes["tid"].to_numpy(),
        vote=export.votes["vote"].to_numpy(),
        timestamp=export.votes["timestamp"].to_numpy(),
    )


@needs_seattle
def test_reads_the_seattle_export() -> None:
    export = read_export(SEATTLE)
    assert export.comments.height == 54
    assert export.votes.height == 2995
    assert len(export.rejected) == 23
    assert export.meta == []
    assert export.summary["voters"] == "339"
    assert export.summary["groups"] == "2"
    assert len(export.groups) == 138
    assert sorted(set(export.groups.values())) == [0, 1]
    matrix = export.matrix()
    assert matrix.shape == (339, 31)  # 54 comments less 23 rejected
    assert export.to_dict()["n_rejected"] == 23


@needs_seattle
def test_event_counts_reproduce_comments_csv() -> None:
    """comments.csv's agrees/disagrees count every vote event, re-votes included."""
    export = read_export(SEATTLE)
    events = event_counts(
        statement=export.votes["tid"].to_numpy(), vote=export.votes["vote"].to_numpy()
    )
    published = export.comments.sort("tid")
    assert events.statement_ids.tolist() == published["tid"].to_list()
    assert events.n_agree.tolist() == published["agrees"].to_list()
    assert events.n_disagree.tolist() == published["disagrees"].to_list()
    # the latest votes differ where people changed their minds: comment 0 has 54 agree
    # events (comments.csv) but 47 participants whose latest vote is agree
    latest = all_comments_matrix(export).statement_counts()
    assert (int(events.n_agree[0]), int(latest.n_agree[0])) == (54, 47)


@needs_seattle
def test_latest_votes_reproduce_participants_votes_csv() -> None:
    export = read_export(SEATTLE)
    matrix = all_comments_matrix(export)
    published = pl.read_csv(SEATTLE / "participants-votes.csv").sort("participant")
    assert published["participant"].to_list() == matrix.participant_ids.tolist()
    comment_columns = [str(t) for t in matrix.statement_ids]
    cells = published.select(comment_columns).to_numpy().astype(np.float64)
    assert np.array_equal(np.isnan(cells), np.isnan(matrix.dense()))
    assert np.array_equal(np.nan_to_num(cells, nan=9), np.nan_to_num(matrix.dense(), nan=9))
    assert published["n-votes"].to_list() == matrix.votes_per_participant().tolist()
    dense = matrix.dense()
    assert published["n-agree"].to_list() == (dense == 1).sum(axis=1).tolist()
    assert published["n-disagree"].to_list() == (dense == -1).sum(axis=1).tolist()


@needs_seattle
def test_placement_rule_matches_pol_is_grouped_participants() -> None:
    """Pol.is placed exactly those with at least 7 votes (the group-id column is blank for
    the others); the same 138 participants qualify whether or not rejected comments count."""
    export = read_export(SEATTLE)
    grouped = sorted(export.groups)
    for matrix in (all_comments_matrix(export), export.matrix()):
        placed = matrix.participant_ids[placed_mask(matrix)].tolist()
        assert placed == grouped


@needs_seattle
def test_round_trip_is_byte_identical_except_row_order(tmp_path: Path) -> None:
    export = read_export(SEATTLE)
    write_export(tmp_path, export=export)
    for name in ("comments.csv", "votes.csv", "summary.csv"):
        assert (tmp_path / name).read_bytes() == (SEATTLE / name).read_bytes(), name
    ours = pl.read_csv(tmp_path / "participants-votes.csv", infer_schema=False)
    theirs = pl.read_csv(SEATTLE / "participants-votes.csv", infer_schema=False)
    ours = ours.sort(pl.col("participant").cast(pl.Int64))
    theirs = theirs.sort(pl.col("participant").cast(pl.Int64))
    assert ours.columns == theirs.columns
    assert ours.equals(theirs)
    again = read_export(tmp_path)
    assert again.groups == export.groups
    assert again.votes.equals(export.votes)


def write_folder(folder: Path, comments: str, votes: str, participants: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "comments.csv").write_text(comments)
    (folder / "votes.csv").write_text(votes)
    if participants is not None:
        (folder / "participants-votes.csv").write_text(participants)
    return folder


COMMENTS = (
    "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
    "1000,,0,1,1,0,1,First\n"
    "2000,,1,2,0,1,-1,Rejected one\n"
)


def test_every_problem_is_reported_with_file_row_and_column(tmp_path: Path) -> None:
    votes = (
        "timestamp,datetime,comment-id,voter-id,vote\n"
        "1500,,0,1,1\n"
        "1600,,0,2,2\n"
        "x,,1,2,-1\n"
        "1700,,7,3,0\n"
    )
    with pytest.raises(PolisFormatError) as caught:
        read_export(write_folder(tmp_path, COMMENTS, votes))
    problems = caught.value.problems
    assert "votes.csv, row 2, column 'vote': must be one of -1, 0, 1" in problems
    assert "votes.csv, row 3, column 'timestamp': is not a whole number" in problems
    assert "votes.csv, row 4, column 'comment-id': not a comment in comments.csv" in problems


def test_missing_columns_and_duplicates(tmp_path: Path) -> None:
    comments = "timestamp,comment-id,moderated\n1,0,1\n2,0,3\n"
    votes = "timestamp,comment-id,voter-id\n1,0,1\n"
    with pytest.raises(PolisFormatError) as caught:
        read_export(write_folder(tmp_path, comments, votes))
    problems = caught.value.problems
    assert "votes.csv: missing column(s) 'vote'" in problems
    assert "comments.csv, rows 1, 2, column 'comment-id': repeats an id" in problems
    assert "comments.csv, row 2, column 'moderated': must be one of -1, 0, 1" in problems


def test_participants_file_problems(tmp_path: Path) -> None:
    votes = "timestamp,datetime,comment-id,voter-id,vote\n1500,,0,1,1\n"
    participants = "participant,group-id\n1,0\n5,1\n6,\n1,-2\n"
    with pytest.raises(PolisFormatError) as caught:
        read_export(write_folder(tmp_path, COMMENTS, votes, participants))
    problems = caught.value.problems
    assert "participants-votes.csv, row 2, column 'participant': has a group but no votes" in (
        problems
    )
    assert "participants-votes.csv, row 4, column 'group-id': must not be negative" in problems
    assert "participants-votes.csv, rows 1, 4, column 'participant': repeats an id" in problems


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(PolisFormatError, match=r"comments\.csv: the file is empty"):
        read_export(write_folder(tmp_path / "a", "", "timestamp\n"))
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "comments.csv").write_text(COMMENTS)
    with pytest.raises(FileNotFoundError):
        read_export(folder)
    with pytest.raises(NotADirectoryError):
        read_export(tmp_path / "nowhere")


def test_meta_column_and_moderation(tmp_path: Path) -> None:
    comments = (
        "timestamp,comment-id,moderated,is-meta\n1,0,1,false\n2,1,-1,false\n3,2,0,true\n4,3,0,\n"
    )
    votes = "timestamp,comment-id,voter-id,vote\n" + "".join(
        f"{10 + i},{i % 4},{i // 4},1\n" for i in range(16)
    )
    export = read_export(write_folder(tmp_path, comments, votes))
    assert export.rejected == [1]
    assert export.meta == [2]
    assert export.matrix().statement_ids.tolist() == [0, 3]


def test_written_datetimes_default_to_utc(tmp_path: Path) -> None:
    votes = "timestamp,comment-id,voter-id,vote\n1403054214196,0,1,1\n"
    export = read_export(write_folder(tmp_path / "in", COMMENTS, votes))
    write_export(tmp_path / "out", export=export, groups={1: 0})
    written = pl.read_csv(tmp_path / "out" / "votes.csv")
    assert written["datetime"].to_list() == ["Wed Jun 18 01:16:54 UTC 2014"]
    participants = pl.read_csv(tmp_path / "out" / "participants-votes.csv")
    assert participants["group-id"].to_list() == [0]
    assert participants["n-comments"].to_list() == [1]
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert "groups,1" in summary
    assert "comments,2" in summary
