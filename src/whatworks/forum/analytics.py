"""The forum's one adapter to ``whatworks_analytics.deliberation``.

Everything here takes and returns plain arrays, lists, dicts and polars frames, never ORM
objects: services and tasks read the database and call these.  Statements are identified
by their number in the conversation (the Pol.is ``tid``), participants by their primary key
(the Pol.is ``pid``).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from whatworks.core.csvutils import SafeCsvWriter, csv_unsafe
from whatworks_analytics import __version__ as ANALYTICS_VERSION
from whatworks_analytics.deliberation import (
    PolisFormatError,
    ReplayState,
    analyse,
    build_matrix,
    group_vote_counts,
    read_export,
    statement_extremity,
    statement_priorities,
    write_export,
)
from whatworks_analytics.deliberation.polis_io import PolisExport
from whatworks_analytics.deliberation.replay import STATE_FORMAT

__all__ = [
    "ANALYTICS_VERSION",
    "REPLAY_INTERVAL_MS",
    "ImportedConversation",
    "PolisFormatError",
    "ReplayState",
    "VoteLog",
    "export_read",
    "export_write",
    "replay_load",
    "replay_step",
    "replay_version",
    "run_analysis",
    "statement_order",
]


@dataclass(frozen=True)
class VoteLog:
    """Parallel arrays of vote events in log order; ``timestamp`` in milliseconds."""

    participant: np.ndarray
    statement: np.ndarray
    value: np.ndarray
    timestamp: np.ndarray

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[int, int, int, int]]) -> VoteLog:
        """From ``(participant, statement, value, timestamp_ms)`` tuples."""
        data = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
        return cls(data[:, 0], data[:, 1], data[:, 2], data[:, 3])


#: The replay's update window: one Pol.is update per second of votes, as Pol.is's poller
#: (``whatworks_analytics.deliberation.replay``; docs/adr/0010-polis-replay.md).
REPLAY_INTERVAL_MS = 1_000


def replay_version(seed: int) -> str:
    """What a stored replay state depends on besides the votes: a state of another version
    is rebuilt from the first vote."""
    return f"{ANALYTICS_VERSION}/state-{STATE_FORMAT}/every-{REPLAY_INTERVAL_MS}ms/seed-{seed}"


def replay_load(data: bytes | memoryview | None, *, seed: int) -> ReplayState:
    """The stored state, or a fresh one (``data`` None)."""
    if data is None:
        return ReplayState(seed=seed, interval_ms=REPLAY_INTERVAL_MS)
    return ReplayState.from_bytes(bytes(data))


def replay_step(state: ReplayState, *, votes: VoteLog, excluded: Sequence[int]) -> int:
    """Step the state with the votes after its last one (``votes.timestamp`` in
    milliseconds); return the number of Pol.is updates run."""
    return state.step(
        participant=votes.participant,
        statement=votes.statement,
        vote=votes.value,
        timestamp=votes.timestamp,
        excluded=excluded,
    )


def run_analysis(
    *,
    votes: VoteLog,
    statements: Sequence[int],
    rejected: Sequence[int],
    meta: Sequence[int],
    seed: int,
    replay: ReplayState | None = None,
) -> dict[str, Any]:
    """The whole analysis as JSON-ready data: the Pol.is-style result, each placed
    participant's position and group, per-statement latest-vote counts and extremity.

    With ``replay`` (stepped with the same votes) the groups, positions and components are
    its last update's, as Pol.is finds them; without it they come from the votes alone."""
    matrix = build_matrix(
        participant=votes.participant,
        statement=votes.statement,
        vote=votes.value,
        timestamp=votes.timestamp,
        statements=np.asarray(sorted(statements), dtype=np.int64),
        rejected=rejected,
        meta=meta,
    )
    counts = build_matrix(
        participant=votes.participant,
        statement=votes.statement,
        vote=votes.value,
        timestamp=votes.timestamp,
        statements=np.asarray(sorted(statements), dtype=np.int64),
    ).statement_counts()
    result: dict[str, Any] = {
        "code_version": ANALYTICS_VERSION,
        "seed": seed,
        "grouping": "stateless" if replay is None else "replay",
        "replay_updates": 0 if replay is None else replay.n_updates,
        "moderation": {"rejected": sorted(rejected), "meta": sorted(meta)},
        "n_participants": int(matrix.shape[0]),
        "n_statements_analysed": int(matrix.shape[1]),
        "counts": counts.to_dict(),
        "positions": {},
        "extremity": {},
        "explained_variance": [],
        "analysis": None,
    }
    if matrix.shape[0] < 2 or matrix.shape[1] < 2 or matrix.n_votes == 0:
        return result
    grouping = None if replay is None else replay.groups(matrix)
    analysis = analyse(matrix, seed=seed, grouping=grouping)
    result["analysis"] = analysis.to_dict()
    groups = analysis.groups
    if groups.groups:
        result["group_counts"] = group_tallies(matrix, groups)
    if groups.projection is not None:
        for row, pid in enumerate(matrix.participant_ids.tolist()):
            x, y = groups.projection[row]
            if math.isfinite(x) and math.isfinite(y):
                result["positions"][str(pid)] = {
                    "x": round(float(x), 5),
                    "y": round(float(y), 5),
                    "group": int(groups.labels[row]),
                }
    if groups.pca is not None:
        result["explained_variance"] = [round(float(v), 6) for v in groups.pca.explained_variance]
        extremity = statement_extremity(groups.pca)
        result["extremity"] = {
            str(tid): round(float(e), 6)
            for tid, e in zip(matrix.statement_ids.tolist(), extremity, strict=True)
        }
    return result


def group_tallies(matrix: Any, groups: Any) -> dict[str, list[dict[str, int]]]:
    """Per statement, each group's latest-vote agrees, disagrees, passes and votes (the
    report's per-group bars): ``{tid: [{"group", "n_agree", "n_disagree", "n_pass",
    "n_seen"}]}`` with string keys (JSON)."""
    tally = group_vote_counts(matrix, groups)
    out: dict[str, list[dict[str, int]]] = {}
    for column, tid in enumerate(tally.statement_ids.tolist()):
        rows = []
        for row, gid in enumerate(tally.group_ids.tolist()):
            agree = int(tally.n_agree[row, column])
            disagree = int(tally.n_disagree[row, column])
            seen = int(tally.n_seen[row, column])
            rows.append(
                {
                    "group": int(gid),
                    "n_agree": agree,
                    "n_disagree": disagree,
                    "n_pass": seen - agree - disagree,
                    "n_seen": seen,
                }
            )
        out[str(tid)] = rows
    return out


def statement_order(
    *,
    counts: Mapping[int, tuple[int, int, int]],
    candidates: Sequence[int],
    meta: Sequence[int] = (),
    extremity: Mapping[int, float] | None = None,
) -> list[int]:
    """Candidate statements best first by the Pol.is routing priority (ties: lowest tid).

    ``counts`` maps tid to ``(n_agree, n_pass, n_seen)``; missing tids have no votes yet,
    so new statements come first.
    """
    if not candidates:
        return []
    tids = list(candidates)
    zero = (0, 0, 0)
    priorities = statement_priorities(
        n_agree=[counts.get(t, zero)[0] for t in tids],
        n_pass=[counts.get(t, zero)[1] for t in tids],
        n_seen=[counts.get(t, zero)[2] for t in tids],
        extremity=[(extremity or {}).get(t, 0.0) for t in tids],
        is_meta=[t in set(meta) for t in tids],
    )
    order = sorted(range(len(tids)), key=lambda i: (-float(priorities[i]), tids[i]))
    return [tids[i] for i in order]


@dataclass(frozen=True)
class ImportedConversation:
    """What an export folder holds, as plain rows."""

    #: ``(tid, author pid or None, text, moderated (1/0/-1), is_meta, timestamp_ms)``
    comments: list[tuple[int, int | None, str, int, bool, int]]
    #: ``(pid, tid, vote, timestamp_ms)`` in log order
    votes: list[tuple[int, int, int, int]]
    summary: dict[str, str]


def export_read(directory: str | Path) -> ImportedConversation:
    """Read a Pol.is open-data folder (raises :class:`PolisFormatError`, re-exported here
    for the forum's import, or ``OSError``)."""
    export = read_export(directory)
    comments = [
        (
            int(row["tid"]),
            None if row["author"] is None else int(row["author"]),
            csv_unsafe(str(row["body"] or "")),
            int(row["moderated"]),
            bool(row["is_meta"]),
            int(row["timestamp"] or 0),
        )
        for row in export.comments.iter_rows(named=True)
    ]
    votes = [
        (int(row["pid"]), int(row["tid"]), int(row["vote"]), int(row["timestamp"] or 0))
        for row in export.votes.iter_rows(named=True)
    ]
    summary = {key: csv_unsafe(value) for key, value in export.summary.items()}
    return ImportedConversation(comments=comments, votes=votes, summary=summary)


def export_write(
    directory: str | Path,
    *,
    comments: Sequence[tuple[int, int | None, str, int, bool, int]],
    votes: Sequence[tuple[int, int, int, int]],
    groups: Mapping[int, int],
    summary: Mapping[str, str],
) -> None:
    """Write the four Pol.is files (plus an ``is-meta`` column in comments.csv)."""
    comment_frame = pl.DataFrame(
        {
            "tid": [c[0] for c in comments],
            "author": [c[1] for c in comments],
            "agrees": [0] * len(comments),
            "disagrees": [0] * len(comments),
            "moderated": [c[3] for c in comments],
            "is_meta": [c[4] for c in comments],
            "body": [c[2] for c in comments],
            "timestamp": [c[5] for c in comments],
            "datetime": [""] * len(comments),
        },
        schema={
            "tid": pl.Int64,
            "author": pl.Int64,
            "agrees": pl.Int64,
            "disagrees": pl.Int64,
            "moderated": pl.Int64,
            "is_meta": pl.Boolean,
            "body": pl.String,
            "timestamp": pl.Int64,
            "datetime": pl.String,
        },
    )
    vote_frame = pl.DataFrame(
        {
            "timestamp": [v[3] for v in votes],
            "datetime": [""] * len(votes),
            "tid": [v[1] for v in votes],
            "pid": [v[0] for v in votes],
            "vote": [v[2] for v in votes],
        },
        schema={
            "timestamp": pl.Int64,
            "datetime": pl.String,
            "tid": pl.Int64,
            "pid": pl.Int64,
            "vote": pl.Int64,
        },
    )
    export = PolisExport(comments=comment_frame, votes=vote_frame, summary=dict(summary))
    write_export(directory, export=export, groups=dict(groups))
    folder = Path(directory)
    is_meta = ["true" if c[4] else "false" for c in comments]
    for path in sorted(folder.glob("*.csv")):
        rows = _read_rows(path)
        if path.name == "comments.csv" and rows:
            rows = [[*rows[0], "is-meta"]] + [
                [*row, meta] for row, meta in zip(rows[1:], is_meta, strict=True)
            ]
        _write_safe(path, rows)


#: A cell that is a plain integer (vote values, ids, counts, timestamps): kept a number,
#: not quoted as text, although ``-1`` starts like a formula.
_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def _read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _write_safe(path: Path, rows: list[list[str]]) -> None:
    """Rewrite a file the analytics package wrote, every cell through ``core.csvutils`` so
    that participants' text cannot reach a spreadsheet as a formula."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = SafeCsvWriter(handle)
        for row in rows:
            writer.writerow(int(cell) if _INTEGER.fullmatch(cell) else cell for cell in row)
