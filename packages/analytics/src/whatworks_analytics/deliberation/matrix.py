"""The participant x statement vote matrix, built from an append-only vote log.

Pol.is keeps a "raw rating matrix" with one cell per participant and statement, holding the
participant's most recent vote (conversation.clj, ``:raw-rating-mat`` updated with
``nm/update-nmat``, where a later vote overwrites an earlier one); moderated-out statements
are then zeroed in the "rating matrix" used for the analysis (``:rating-mat``,
``zero-out-columns`` of ``:mod-out``).

This module follows the first step exactly (latest vote wins; when two votes of the same
participant on the same statement carry the same timestamp, the one later in the log wins)
and departs from the second: rejected and meta statements are *removed* from the matrix
rather than zeroed, so they cannot count towards a participant's number of votes, the PCA, or
any statistic.  Votes are coded as in the Pol.is open-data exports: 1 agree, -1 disagree,
0 pass (the Pol.is database itself stores agree as -1).

The matrix is held as coordinate arrays (one entry per participant and statement voted on),
because a pass is a real vote with value 0 and would be lost in a sparse matrix's implicit
zeros; :meth:`VoteMatrix.indicator` gives the sparse 0/1 matrices the statistics need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from whatworks_analytics.errors import AnalyticsInputError

__all__ = [
    "AGREE",
    "DISAGREE",
    "PASS",
    "DeliberationInputError",
    "StatementCounts",
    "VoteMatrix",
    "build_matrix",
    "event_counts",
]

AGREE = 1
DISAGREE = -1
PASS = 0

IntArray = npt.NDArray[np.int64]
Kind = Literal["agree", "disagree", "pass", "seen"]


class DeliberationInputError(AnalyticsInputError):
    """The votes or statements are invalid; ``problems`` lists every problem found."""

    problems: tuple[str, ...]

    def __init__(self, problems: Iterable[str]) -> None:
        super().__init__(tuple(problems))


@dataclass(frozen=True)
class StatementCounts:
    """Per-statement tallies: ``n_agree``, ``n_disagree``, ``n_pass`` and ``n_seen`` (all votes)."""

    statement_ids: IntArray
    n_agree: IntArray
    n_disagree: IntArray
    n_pass: IntArray
    n_seen: IntArray

    def to_dict(self) -> dict[str, dict[str, int]]:
        """``{tid: {"n_agree", "n_disagree", "n_pass", "n_seen"}}`` with string keys (JSON)."""
        return {
            str(int(tid)): {
                "n_agree": int(a),
                "n_disagree": int(d),
                "n_pass": int(p),
                "n_seen": int(s),
            }
            for tid, a, d, p, s in zip(
                self.statement_ids,
                self.n_agree,
                self.n_disagree,
                self.n_pass,
                self.n_seen,
                strict=True,
            )
        }


@dataclass(frozen=True, eq=False)
class VoteMatrix:
    """Latest vote of each participant on each analysed statement, in coordinate form.

    ``participant_ids`` and ``statement_ids`` are sorted; ``row``/``col`` index into them and
    ``value`` holds 1, -1 or 0.  ``excluded_statement_ids`` are the rejected and meta
    statements left out of the analysis.  Every participant who appears in the vote log is a
    row, even if all of their votes were on excluded statements (they then have no entries).
    """

    participant_ids: IntArray
    statement_ids: IntArray
    row: IntArray
    col: IntArray
    value: npt.NDArray[np.int8]
    excluded_statement_ids: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def shape(self) -> tuple[int, int]:
        """(number of participants, number of analysed statements)."""
        return (len(self.participant_ids), len(self.statement_ids))

    @property
    def n_votes(self) -> int:
        """Number of (participant, statement) cells with a vote."""
        return len(self.value)

    def indicator(self, kind: Kind) -> sp.csr_matrix:
        """Sparse 0/1 matrix (participants x statements): agrees, disagrees, passes or any vote."""
        if kind == "seen":
            mask = np.ones(len(self.value), dtype=bool)
        else:
            target = {"agree": AGREE, "disagree": DISAGREE, "pass": PASS}[kind]
            mask = self.value == target
        data = np.ones(int(mask.sum()), dtype=np.int64)
        return sp.csr_matrix((data, (self.row[mask], self.col[mask])), shape=self.shape)

    def votes_per_participant(self) -> IntArray:
        """Number of analysed statements each participant has voted on (passes included)."""
        return np.bincount(self.row, minlength=self.shape[0]).astype(np.int64)

    def statement_counts(self) -> StatementCounts:
        """Tallies of the latest votes per analysed statement."""
        m = self.shape[1]
        return StatementCounts(
            statement_ids=self.statement_ids,
            n_agree=np.bincount(self.col[self.value == AGREE], minlength=m).astype(np.int64),
            n_disagree=np.bincount(self.col[self.value == DISAGREE], minlength=m).astype(np.int64),
            n_pass=np.bincount(self.col[self.value == PASS], minlength=m).astype(np.int64),
            n_seen=np.bincount(self.col, minlength=m).astype(np.int64),
        )

    def dense(self, *, missing: float = np.nan) -> npt.NDArray[np.float64]:
        """Dense float matrix with ``missing`` where there is no vote (for small matrices)."""
        out = np.full(self.shape, missing, dtype=np.float64)
        out[self.row, self.col] = self.value
        return out

    def to_dict(self) -> dict[str, Any]:
        """Summary of the matrix (sizes only; the cells are not serialised)."""
        return {
            "n_participants": self.shape[0],
            "n_statements": self.shape[1],
            "n_votes": self.n_votes,
            "excluded_statement_ids": [int(t) for t in self.excluded_statement_ids],
        }


def _as_int_array(values: npt.ArrayLike, name: str, problems: list[str]) -> IntArray:
    array = np.asarray(values)
    if array.ndim != 1:
        problems.append(f"{name}: expected a one-dimensional sequence")
        return np.zeros(0, dtype=np.int64)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        whole = (
            np.issubdtype(array.dtype, np.floating)
            and bool(np.all(np.isfinite(array)))
            and bool(np.all(array == np.round(array)))
        )
        if whole:
            return array.astype(np.int64)
        problems.append(f"{name}: expected whole numbers")
        return np.zeros(0, dtype=np.int64)
    return array.astype(np.int64)


def build_matrix(
    *,
    participant: npt.ArrayLike,
    statement: npt.ArrayLike,
    vote: npt.ArrayLike,
    timestamp: npt.ArrayLike | None = None,
    statements: npt.ArrayLike | None = None,
    rejected: Iterable[int] = (),
    meta: Iterable[int] = (),
) -> VoteMatrix:
    """Build the latest-vote matrix from a vote log (one entry per vote event).

    ``participant``, ``statement`` and ``vote`` are parallel sequences; ``timestamp`` (any
    integer unit, e.g. milliseconds) orders the events, and log order breaks ties (without
    timestamps, log order alone decides).  ``statements`` lists every statement id, so that
    statements nobody voted on yet are part of the matrix.  Statements in ``rejected`` or
    ``meta`` are excluded.  Raises :class:`DeliberationInputError` on invalid input.
    """
    problems: list[str] = []
    pid = _as_int_array(participant, "participant", problems)
    tid = _as_int_array(statement, "statement", problems)
    val = _as_int_array(vote, "vote", problems)
    n = len(pid)
    if not problems and not (len(tid) == n and len(val) == n):
        problems.append("participant, statement and vote must have the same length")
    ts: IntArray | None = None
    if timestamp is not None:
        ts = _as_int_array(timestamp, "timestamp", problems)
        if not problems and len(ts) != n:
            problems.append("timestamp must have the same length as the votes")
    if not problems:
        bad = np.flatnonzero((val != AGREE) & (val != DISAGREE) & (val != PASS))
        if bad.size:
            shown = ", ".join(f"#{i + 1} ({val[i]})" for i in bad[:5])
            problems.append(
                f"vote must be 1 (agree), -1 (disagree) or 0 (pass): {bad.size} bad "
                f"value(s), first {shown}"
            )
    if problems:
        raise DeliberationInputError(problems)

    # by participant, statement, then time; lexsort is stable, so log position breaks ties
    order = np.lexsort((tid, pid) if ts is None else (ts, tid, pid))
    pid_s, tid_s = pid[order], tid[order]
    last = np.ones(n, dtype=bool)
    if n:
        last[:-1] = (pid_s[1:] != pid_s[:-1]) | (tid_s[1:] != tid_s[:-1])
    keep = order[last]

    excluded = np.unique(np.fromiter((*rejected, *meta), dtype=np.int64))
    listed = (
        np.zeros(0, dtype=np.int64)
        if statements is None
        else _as_int_array(statements, "statements", problems)
    )
    if problems:
        raise DeliberationInputError(problems)
    all_statements = np.union1d(listed, tid)
    statement_ids = np.setdiff1d(all_statements, excluded, assume_unique=True)
    participant_ids = np.unique(pid)

    k_pid, k_tid, k_val = pid[keep], tid[keep], val[keep]
    analysed = np.isin(k_tid, statement_ids, assume_unique=False)
    k_pid, k_tid, k_val = k_pid[analysed], k_tid[analysed], k_val[analysed]
    return VoteMatrix(
        participant_ids=participant_ids,
        statement_ids=statement_ids,
        row=np.searchsorted(participant_ids, k_pid).astype(np.int64),
        col=np.searchsorted(statement_ids, k_tid).astype(np.int64),
        value=k_val.astype(np.int8),
        excluded_statement_ids=np.intersect1d(excluded, all_statements),
    )


def event_counts(*, statement: npt.ArrayLike, vote: npt.ArrayLike) -> StatementCounts:
    """Tallies of every vote *event* per statement, superseded votes included.

    This is how the ``agrees``/``disagrees`` columns of a Pol.is export's ``comments.csv``
    are counted (checked on the 15-per-hour-seattle conversation), as opposed to
    :meth:`VoteMatrix.statement_counts`, which counts each participant's latest vote once.
    """
    tid = np.asarray(statement, dtype=np.int64)
    val = np.asarray(vote, dtype=np.int64)
    ids, inverse = np.unique(tid, return_inverse=True)
    m = len(ids)
    return StatementCounts(
        statement_ids=ids,
        n_agree=np.bincount(inverse[val == AGREE], minlength=m).astype(np.int64),
        n_disagree=np.bincount(inverse[val == DISAGREE], minlength=m).astype(np.int64),
        n_pass=np.bincount(inverse[val == PASS], minlength=m).astype(np.int64),
        n_seen=np.bincount(inverse, minlength=m).astype(np.int64),
    )
