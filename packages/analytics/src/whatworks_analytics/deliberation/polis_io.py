"""Read and write the Pol.is open-data export layout (github.com/compdemocracy/openData).

A conversation folder holds:

* ``comments.csv`` -- ``timestamp, datetime, comment-id, author-id, agrees, disagrees,
  moderated, comment-body``; ``moderated`` is 1 (accepted), 0 (not yet moderated) or -1
  (rejected); ``agrees``/``disagrees`` count every vote event, superseded ones included.  An
  optional ``is-meta`` column (true/false or 1/0) marks meta statements.
* ``votes.csv`` -- ``timestamp, datetime, comment-id, voter-id, vote``: the append-only vote
  log, 1 agree, -1 disagree, 0 pass, timestamps in milliseconds since the epoch.
* ``participants-votes.csv`` -- ``participant, group-id, n-comments, n-votes, n-agree,
  n-disagree`` and one column per comment id with the participant's latest vote (blank when
  none); ``group-id`` is blank for participants Pol.is did not place.
* ``summary.csv`` -- two columns without a header: key, value (``topic``, ``url``, ``views``,
  ``voters``, ``voters-in-conv``, ``commenters``, ``comments``, ``groups``,
  ``conversation-description``).

Problems in the files are collected (file, data row counted from 1 under the header, column)
and raised together as :class:`PolisFormatError`; missing or unreadable files raise
:class:`OSError`.
"""

from __future__ import annotations

import errno
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from whatworks_analytics.deliberation.matrix import (
    DeliberationInputError,
    VoteMatrix,
    build_matrix,
    event_counts,
)

__all__ = [
    "COMMENTS_COLUMNS",
    "PARTICIPANT_COLUMNS",
    "VOTES_COLUMNS",
    "PolisExport",
    "PolisFormatError",
    "read_export",
    "write_export",
]

COMMENTS_COLUMNS = (
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
)
VOTES_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
PARTICIPANT_COLUMNS = ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")
_MAX_ROWS_SHOWN = 5
_DATETIME_FORMAT = "%a %b %d %H:%M:%S UTC %Y"


class PolisFormatError(DeliberationInputError):
    """The export's files are not in the Pol.is layout; ``problems`` lists every problem."""


@dataclass(frozen=True, eq=False)
class PolisExport:
    """A Pol.is conversation as read from (or to be written to) an export folder.

    ``comments`` has columns ``tid``, ``author``, ``agrees``, ``disagrees``, ``moderated``,
    ``is_meta``, ``body``, ``timestamp``, ``datetime``; ``votes`` has ``timestamp``,
    ``datetime``, ``tid``, ``pid``, ``vote`` in log order; ``groups`` maps participant id to
    Pol.is's group id (placed participants only); ``summary`` holds summary.csv's pairs.
    """

    comments: pl.DataFrame
    votes: pl.DataFrame
    groups: Mapping[int, int] = field(default_factory=dict)
    summary: Mapping[str, str] = field(default_factory=dict)
    has_groups: bool = False

    @property
    def rejected(self) -> list[int]:
        """Comment ids moderated out (``moderated == -1``)."""
        return self.comments.filter(pl.col("moderated") == -1)["tid"].to_list()

    @property
    def meta(self) -> list[int]:
        """Comment ids marked as meta statements."""
        return self.comments.filter(pl.col("is_meta"))["tid"].to_list()

    def matrix(self) -> VoteMatrix:
        """Latest-vote matrix without rejected and meta comments."""
        return build_matrix(
            participant=self.votes["pid"].to_numpy(),
            statement=self.votes["tid"].to_numpy(),
            vote=self.votes["vote"].to_numpy(),
            timestamp=self.votes["timestamp"].to_numpy(),
            statements=self.comments["tid"].to_numpy(),
            rejected=self.rejected,
            meta=self.meta,
        )

    def to_dict(self) -> dict[str, Any]:
        """Sizes and summary (JSON)."""
        return {
            "n_comments": self.comments.height,
            "n_votes": self.votes.height,
            "n_rejected": len(self.rejected),
            "n_meta": len(self.meta),
            "n_grouped_participants": len(self.groups),
            "summary": dict(self.summary),
        }


def _read(path: Path, *, has_header: bool = True) -> pl.DataFrame:
    data = path.read_bytes()
    if not data.strip():
        raise PolisFormatError([f"{path.name}: the file is empty"])
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False, has_header=has_header)
    except pl.exceptions.PolarsError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        raise PolisFormatError([f"{path.name}: not a readable CSV file: {first}"]) from error


def _require(frame: pl.DataFrame, name: str, columns: tuple[str, ...], problems: list[str]) -> bool:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        problems.append(f"{name}: missing column(s) {', '.join(repr(c) for c in missing)}")
    return not missing


def _bad_rows(mask: pl.Series) -> list[int]:
    return [int(i) + 1 for i in mask.arg_true().to_list()]


def _report(name: str, column: str, rows: list[int], what: str, problems: list[str]) -> None:
    if not rows:
        return
    shown = ", ".join(str(row) for row in rows[:_MAX_ROWS_SHOWN])
    more = f" and {len(rows) - _MAX_ROWS_SHOWN} more" if len(rows) > _MAX_ROWS_SHOWN else ""
    noun = "row" if len(rows) == 1 else "rows"
    problems.append(f"{name}, {noun} {shown}{more}, column {column!r}: {what}")


def _integers(
    frame: pl.DataFrame,
    name: str,
    column: str,
    problems: list[str],
    *,
    allowed: tuple[int, ...] | None = None,
    blank_ok: bool = False,
) -> pl.Series:
    text = frame[column].str.strip_chars()
    blank = text.is_null() | (text == "")
    number = text.cast(pl.Int64, strict=False)
    if not blank_ok:
        _report(name, column, _bad_rows(blank), "is empty", problems)
    _report(name, column, _bad_rows(~blank & number.is_null()), "is not a whole number", problems)
    if allowed is not None:
        outside = number.is_not_null() & ~number.is_in(list(allowed))
        choices = ", ".join(str(a) for a in allowed)
        _report(name, column, _bad_rows(outside), f"must be one of {choices}", problems)
    return number


def _duplicates(series: pl.Series, name: str, column: str, problems: list[str]) -> None:
    repeated = series.is_duplicated() & series.is_not_null()
    _report(name, column, _bad_rows(repeated), "repeats an id", problems)


def _read_comments(path: Path, problems: list[str]) -> pl.DataFrame | None:
    frame = _read(path)
    name = path.name
    needed = ("timestamp", "comment-id", "moderated")
    if not _require(frame, name, needed, problems):
        return None
    tid = _integers(frame, name, "comment-id", problems)
    _duplicates(tid, name, "comment-id", problems)
    moderated = _integers(frame, name, "moderated", problems, allowed=(-1, 0, 1))
    timestamp = _integers(frame, name, "timestamp", problems)
    optional_ints = {}
    for column in ("author-id", "agrees", "disagrees"):
        if column in frame.columns:
            optional_ints[column] = _integers(frame, name, column, problems, blank_ok=True)
        else:
            optional_ints[column] = pl.Series(column, [None] * frame.height, dtype=pl.Int64)
    if "is-meta" in frame.columns:
        raw = frame["is-meta"].str.strip_chars().str.to_lowercase().fill_null("")
        is_meta = raw.is_in(["1", "true", "t", "yes"])
        bad = ~(is_meta | raw.is_in(["", "0", "false", "f", "no"]))
        _report(name, "is-meta", _bad_rows(bad), "must be true/false or 1/0", problems)
    else:
        is_meta = pl.Series("is_meta", [False] * frame.height)

    def text_column(name: str) -> pl.Series:
        return frame[name] if name in frame.columns else pl.Series(name, [""] * frame.height)

    return pl.DataFrame(
        {
            "tid": tid,
            "author": optional_ints["author-id"],
            "agrees": optional_ints["agrees"],
            "disagrees": optional_ints["disagrees"],
            "moderated": moderated,
            "is_meta": is_meta,
            "body": text_column("comment-body").fill_null(""),
            "timestamp": timestamp,
            "datetime": text_column("datetime").fill_null(""),
        }
    )


def _read_votes(path: Path, known: set[int] | None, problems: list[str]) -> pl.DataFrame | None:
    frame = _read(path)
    name = path.name
    if not _require(frame, name, ("timestamp", "comment-id", "voter-id", "vote"), problems):
        return None
    timestamp = _integers(frame, name, "timestamp", problems)
    tid = _integers(frame, name, "comment-id", problems)
    pid = _integers(frame, name, "voter-id", problems)
    vote = _integers(frame, name, "vote", problems, allowed=(-1, 0, 1))
    if known is not None:
        unknown = tid.is_not_null() & ~tid.is_in(sorted(known))
        _report(name, "comment-id", _bad_rows(unknown), "not a comment in comments.csv", problems)
    datetime = (
        frame["datetime"].fill_null("")
        if "datetime" in frame.columns
        else pl.Series("datetime", [""] * frame.height)
    )
    return pl.DataFrame(
        {"timestamp": timestamp, "datetime": datetime, "tid": tid, "pid": pid, "vote": vote}
    )


def _read_groups(path: Path, voters: pl.Series | None, problems: list[str]) -> dict[int, int]:
    frame = _read(path)
    name = path.name
    if not _require(frame, name, ("participant", "group-id"), problems):
        return {}
    pid = _integers(frame, name, "participant", problems)
    _duplicates(pid, name, "participant", problems)
    gid = _integers(frame, name, "group-id", problems, blank_ok=True)
    negative = gid.is_not_null() & (gid < 0)
    _report(name, "group-id", _bad_rows(negative), "must not be negative", problems)
    keep = pid.is_not_null() & gid.is_not_null()
    if voters is not None:
        stranger = keep & ~pid.is_in(voters.drop_nulls().unique().to_list())
        _report(name, "participant", _bad_rows(stranger), "has a group but no votes", problems)
    return dict(zip(pid.filter(keep).to_list(), gid.filter(keep).to_list(), strict=True))


def _read_summary(path: Path, problems: list[str]) -> dict[str, str]:
    frame = _read(path, has_header=False)
    if frame.width < 2:
        problems.append(f"{path.name}: expected two columns (key, value)")
        return {}
    keys = frame[frame.columns[0]].fill_null("").to_list()
    values = frame[frame.columns[1]].fill_null("").to_list()
    return dict(zip(keys, values, strict=True))


def read_export(directory: str | Path) -> PolisExport:
    """Read a Pol.is export folder (comments.csv and votes.csv required, the rest optional)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
    problems: list[str] = []
    comments = _read_comments(folder / "comments.csv", problems)
    known = None if comments is None else set(comments["tid"].drop_nulls().to_list())
    votes = _read_votes(folder / "votes.csv", known, problems)
    groups: dict[int, int] = {}
    has_groups = (folder / "participants-votes.csv").exists()
    if has_groups:
        voters = None if votes is None else votes["pid"]
        groups = _read_groups(folder / "participants-votes.csv", voters, problems)
    summary = (
        _read_summary(folder / "summary.csv", problems) if (folder / "summary.csv").exists() else {}
    )
    if problems or comments is None or votes is None:
        raise PolisFormatError(problems)
    return PolisExport(
        comments=comments, votes=votes, groups=groups, summary=summary, has_groups=has_groups
    )


def _datetimes(timestamps: pl.Series, given: pl.Series) -> pl.Series:
    generated = pl.from_epoch(timestamps, time_unit="ms").dt.strftime(_DATETIME_FORMAT)
    return pl.select(
        pl.when(given == "").then(generated).otherwise(given).alias("datetime")
    ).to_series()


def write_export(
    directory: str | Path,
    *,
    export: PolisExport,
    groups: Mapping[int, int] | None = None,
) -> None:
    """Write the four export files into ``directory`` (created if needed).

    ``agrees``/``disagrees`` in comments.csv and the participant table are recomputed from the
    vote log (every event, and the latest votes, respectively), so they always agree with it;
    ``groups`` (default: ``export.groups``) fills the group-id column.  A ``datetime`` left
    empty is written as ``Wed Jun 18 01:16:54 UTC 2014`` (UTC).
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    groups = export.groups if groups is None else groups
    comments, votes = export.comments, export.votes

    events = event_counts(statement=votes["tid"].to_numpy(), vote=votes["vote"].to_numpy())
    tally = pl.DataFrame(
        {
            "tid": events.statement_ids,
            "n_agree": events.n_agree,
            "n_disagree": events.n_disagree,
        }
    )
    table = comments.with_row_index("_order").join(tally, on="tid", how="left").sort("_order")
    pl.DataFrame(
        {
            "timestamp": table["timestamp"],
            "datetime": _datetimes(table["timestamp"], table["datetime"]),
            "comment-id": table["tid"],
            "author-id": table["author"],
            "agrees": table["n_agree"].fill_null(0),
            "disagrees": table["n_disagree"].fill_null(0),
            "moderated": table["moderated"],
            "comment-body": table["body"],
        }
    ).write_csv(folder / "comments.csv")

    pl.DataFrame(
        {
            "timestamp": votes["timestamp"],
            "datetime": _datetimes(votes["timestamp"], votes["datetime"]),
            "comment-id": votes["tid"],
            "voter-id": votes["pid"],
            "vote": votes["vote"],
        }
    ).write_csv(folder / "votes.csv")

    everything = build_matrix(
        participant=votes["pid"].to_numpy(),
        statement=votes["tid"].to_numpy(),
        vote=votes["vote"].to_numpy(),
        timestamp=votes["timestamp"].to_numpy(),
        statements=comments["tid"].to_numpy(),
    )
    n, m = everything.shape
    cells = np.full((n, m), 2, dtype=np.int8)  # 2 = no vote, written as blank
    cells[everything.row, everything.col] = everything.value
    authored = comments["author"].drop_nulls().value_counts().rename({"author": "participant"})
    group_table = pl.DataFrame(
        {
            "participant": np.fromiter(groups.keys(), dtype=np.int64, count=len(groups)),
            "group-id": np.fromiter(groups.values(), dtype=np.int64, count=len(groups)),
        }
    )
    people = (
        pl.DataFrame({"participant": everything.participant_ids})
        .join(group_table, on="participant", how="left")
        .join(authored, on="participant", how="left")
        .sort("participant")
    )
    columns: dict[str, Any] = {
        "participant": people["participant"],
        "group-id": people["group-id"],
        "n-comments": people["count"].fill_null(0).cast(pl.Int64),
        "n-votes": everything.votes_per_participant(),
        "n-agree": (cells == 1).sum(axis=1),
        "n-disagree": (cells == -1).sum(axis=1),
    }
    for j, tid in enumerate(everything.statement_ids.tolist()):
        column = pl.Series(cells[:, j], dtype=pl.Int8)
        columns[str(tid)] = pl.select(pl.when(column == 2).then(None).otherwise(column)).to_series()
    pl.DataFrame(columns).write_csv(folder / "participants-votes.csv")

    summary = dict(export.summary)
    summary["voters"] = str(n)
    summary.setdefault("voters-in-conv", str(n))
    summary["commenters"] = str(authored.height)
    summary["comments"] = str(comments.height)
    summary["groups"] = str(len(set(groups.values())))
    order = [
        "topic",
        "url",
        "views",
        "voters",
        "voters-in-conv",
        "commenters",
        "comments",
        "groups",
        "conversation-description",
    ]
    keys = [key for key in order if key in summary] + [k for k in summary if k not in order]
    pl.DataFrame({"key": keys, "value": [summary[k] for k in keys]}).write_csv(
        folder / "summary.csv", include_header=False
    )
