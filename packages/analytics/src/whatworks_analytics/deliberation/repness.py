"""Representative statements, consensus and group-informed consensus, as Pol.is computes them.

Published steps followed (compdemocracy/polis ``math/src/polismath/math/repness.clj``,
``stats.clj`` and ``conversation.clj``):

* **Counts and pseudo-counts** (repness.clj ``comment-stats``): per group and statement,
  ``na``/``nd`` agrees/disagrees and ``ns`` votes seen (passes included); the probabilities are
  smoothed like a Beta(1, 1) prior, ``pa = (na + 1) / (ns + 2)``, ``pd = (nd + 1) / (ns + 2)``.
* **Significance** (stats.clj): the one-proportion test ``prop_test`` adds 1 to both counts
  and gives ``2 sqrt(n) (s / n - 1/2)``; the two-proportion test ``two_prop_test`` adds 1 to
  all four counts and is the pooled z-statistic.  Thresholds: z > 1.2816 (90 %, one-sided)
  and z > 1.6449 (95 %).
* **Representativeness** (``add-comparitive-stats``): ``ra = pa / ((na_other + 1) /
  (ns_other + 2))`` (likewise ``rd``) where "other" is the sum over all other groups, with
  ``rat``/``rdt`` the two-proportion z-scores of the group against the rest.
* **Selection** (``select-rep-comments``): a statement is representative of a group when both
  its agree-test and agree-repness-test (or both disagree ones) pass 90 %; it is reported for
  the side (agree or disagree) whose repness-test is larger; the list is sorted by the metric
  ``repness x repness_test x p_success x p_test``, the group's "best agree" statement (found
  by Pol.is's running comparison ``beats-best-agr?``) goes first, at most 5 are kept, and
  agrees are listed before disagrees.  With no statement passing, the best agree statement,
  else the statement with the largest repness-test, is reported alone.  Followed exactly,
  including visiting statements in ascending id order for the running comparisons.
* **Consensus** (``consensus-stats``/``select-consensus-comments``): over all participants
  (placed or not), statements with ``pa > 0.5`` and a significant ``prop_test`` (90 %),
  best first by ``pa x pat``, top 5; likewise for disagreement.
* **Group-informed consensus** (conversation.clj ``:group-aware-consensus``): the product over
  groups of ``(A_g + 1) / (S_g + 2)``, the pseudo-counted probability that a member of group g
  agrees, for every statement with at least one vote.

Departures: moderated-out statements are absent from the matrix altogether (Pol.is zeroes
their column and drops them at selection time, with the same outcome); group-informed
consensus counts the analysed statements only (Pol.is tallies its groups' votes on the raw
matrix) and all of them are reported, best first (Pol.is leaves the cut to the client),
unless ``limit`` is given; where the pooled two-proportion z is 0/0 (everyone in and out of
the group on the same side) it is 0 here, where Pol.is's arithmetic would give NaN.  Pol.is
builds group counts from its base clusters; here they come straight from the members'
latest votes (sparse indicator products), which is the same count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from whatworks_analytics.deliberation.groups import (
    DEFAULT_MIN_PARTICIPANTS,
    DEFAULT_MIN_VOTES,
    GroupResult,
    find_groups,
    groups_from_labels,
)
from whatworks_analytics.deliberation.matrix import VoteMatrix

__all__ = [
    "MAX_REPRESENTATIVE",
    "Z_90",
    "Z_95",
    "Analysis",
    "Consensus",
    "ConsensusStatement",
    "GroupCount",
    "GroupInformedStatement",
    "GroupVoteCounts",
    "RepresentativeStatement",
    "analyse",
    "consensus_statements",
    "group_informed_consensus",
    "group_vote_counts",
    "prop_test",
    "representative_statements",
    "two_prop_test",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Side = Literal["agree", "disagree"]

Z_90 = 1.2816
Z_95 = 1.6449
MAX_REPRESENTATIVE = 5
MAX_CONSENSUS = 5


def prop_test(successes: npt.ArrayLike, trials: npt.ArrayLike) -> FloatArray:
    """One-proportion z against 1/2 with +1 pseudo-counts: ``2 sqrt(n+1) ((s+1)/(n+1) - 1/2)``."""
    s = np.asarray(successes, dtype=np.float64) + 1.0
    n = np.asarray(trials, dtype=np.float64) + 1.0
    return np.asarray(2.0 * np.sqrt(n) * (s / n - 0.5))


def two_prop_test(
    succ_in: npt.ArrayLike, succ_out: npt.ArrayLike, n_in: npt.ArrayLike, n_out: npt.ArrayLike
) -> FloatArray:
    """Pooled two-proportion z (in minus out) with +1 added to all four counts; 0 if undefined."""
    s1 = np.asarray(succ_in, dtype=np.float64) + 1.0
    s2 = np.asarray(succ_out, dtype=np.float64) + 1.0
    n1 = np.asarray(n_in, dtype=np.float64) + 1.0
    n2 = np.asarray(n_out, dtype=np.float64) + 1.0
    pooled = (s1 + s2) / (n1 + n2)
    variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    diff = s1 / n1 - s2 / n2
    root = np.sqrt(np.maximum(variance, 0.0))
    return np.asarray(np.divide(diff, root, out=np.zeros_like(diff), where=root > 0))


@dataclass(frozen=True, eq=False)
class GroupVoteCounts:
    """Latest-vote tallies per group (rows, in ``group_ids`` order) and statement (columns)."""

    group_ids: IntArray
    statement_ids: IntArray
    n_agree: IntArray
    n_disagree: IntArray
    n_seen: IntArray


def group_vote_counts(matrix: VoteMatrix, groups: GroupResult) -> GroupVoteCounts:
    """Agrees, disagrees and votes seen per group and statement (sparse products, no loops)."""
    group_ids = np.array([group.id for group in groups.groups], dtype=np.int64)
    labels = groups.labels
    placed = np.flatnonzero(labels >= 0)
    group_row = np.searchsorted(group_ids, labels[placed])
    membership = sp.csr_matrix(
        (np.ones(len(placed), dtype=np.int64), (group_row, placed)),
        shape=(len(group_ids), matrix.shape[0]),
    )

    def tally(kind: Literal["agree", "disagree", "seen"]) -> IntArray:
        return np.asarray((membership @ matrix.indicator(kind)).toarray(), dtype=np.int64)

    return GroupVoteCounts(
        group_ids=group_ids,
        statement_ids=matrix.statement_ids,
        n_agree=tally("agree"),
        n_disagree=tally("disagree"),
        n_seen=tally("seen"),
    )


@dataclass(frozen=True)
class RepresentativeStatement:
    """A statement that sets a group apart, with the counts behind its score.

    ``repful_for`` says whether the group stands out by agreeing or disagreeing; ``n_success``
    is ``n_agree`` or ``n_disagree`` accordingly.  ``*_other`` counts are for the members of all
    other groups together.  ``metric = repness * repness_test * p_success * p_test``.
    """

    tid: int
    repful_for: Side
    n_agree: int
    n_disagree: int
    n_seen: int
    n_agree_other: int
    n_disagree_other: int
    n_seen_other: int
    p_success: float
    p_test: float
    repness: float
    repness_test: float
    metric: float
    best_agree: bool = False

    @property
    def n_success(self) -> int:
        """Votes on the representative side within the group."""
        return self.n_agree if self.repful_for == "agree" else self.n_disagree

    def to_dict(self) -> dict[str, Any]:
        """All fields plus ``n_success`` (JSON)."""
        return {
            "tid": self.tid,
            "repful_for": self.repful_for,
            "n_success": self.n_success,
            "n_agree": self.n_agree,
            "n_disagree": self.n_disagree,
            "n_seen": self.n_seen,
            "n_agree_other": self.n_agree_other,
            "n_disagree_other": self.n_disagree_other,
            "n_seen_other": self.n_seen_other,
            "p_success": self.p_success,
            "p_test": self.p_test,
            "repness": self.repness,
            "repness_test": self.repness_test,
            "metric": self.metric,
            "best_agree": self.best_agree,
        }


@dataclass(frozen=True)
class _Stats:
    """One group's statistics on one statement (plain floats, for the running comparisons)."""

    index: int
    na: int
    nd: int
    ns: int
    na_o: int
    nd_o: int
    ns_o: int
    pa: float
    pd: float
    pat: float
    pdt: float
    ra: float
    rd: float
    rat: float
    rdt: float


def _finalise(stats: _Stats, tid: int, *, best_agree: bool = False) -> RepresentativeStatement:
    agree = stats.rat > stats.rdt
    p, pt, r, rt = (
        (stats.pa, stats.pat, stats.ra, stats.rat)
        if agree
        else (stats.pd, stats.pdt, stats.rd, stats.rdt)
    )
    return RepresentativeStatement(
        tid=tid,
        repful_for="agree" if agree else "disagree",
        n_agree=stats.na,
        n_disagree=stats.nd,
        n_seen=stats.ns,
        n_agree_other=stats.na_o,
        n_disagree_other=stats.nd_o,
        n_seen_other=stats.ns_o,
        p_success=p,
        p_test=pt,
        repness=r,
        repness_test=rt,
        metric=r * rt * p * pt,
        best_agree=best_agree,
    )


def _beats_best_agree(candidate: _Stats, best: _Stats | None) -> bool:
    """Pol.is ``beats-best-agr?``: the running choice of a group's best agreed statement."""
    if candidate.na == 0 and candidate.nd == 0:
        return False
    c = candidate
    if best is not None and best.ra > 1.0:
        return c.ra * c.rat * c.pa * c.pat > best.ra * best.rat * best.pa * best.pat
    if best is not None:
        return c.pa * c.pat > best.pa * best.pat
    return c.pat > Z_90 or (c.ra > 1.0 and c.pa > 0.5)


def representative_statements(
    counts: GroupVoteCounts, *, limit: int = MAX_REPRESENTATIVE
) -> dict[int, tuple[RepresentativeStatement, ...]]:
    """Each group's representative statements, best first (Pol.is ``select-rep-comments``)."""
    na, nd, ns = counts.n_agree, counts.n_disagree, counts.n_seen
    na_o, nd_o, ns_o = na.sum(axis=0) - na, nd.sum(axis=0) - nd, ns.sum(axis=0) - ns
    pa, pd = (na + 1.0) / (ns + 2.0), (nd + 1.0) / (ns + 2.0)
    pat, pdt = prop_test(na, ns), prop_test(nd, ns)
    ra = pa / ((na_o + 1.0) / (ns_o + 2.0))
    rd = pd / ((nd_o + 1.0) / (ns_o + 2.0))
    rat, rdt = two_prop_test(na, na_o, ns, ns_o), two_prop_test(nd, nd_o, ns, ns_o)
    passes = ((rat > Z_90) & (pat > Z_90)) | ((rdt > Z_90) & (pdt > Z_90))
    tids = [int(t) for t in counts.statement_ids]
    result: dict[int, tuple[RepresentativeStatement, ...]] = {}
    for g, gid in enumerate(int(x) for x in counts.group_ids):
        columns = [
            array[g].tolist()
            for array in (na, nd, ns, na_o, nd_o, ns_o, pa, pd, pat, pdt, ra, rd, rat, rdt)
        ]
        stats = [_Stats(j, *values) for j, values in enumerate(zip(*columns, strict=True))]
        sufficient = [s for s in stats if passes[g, s.index]]
        best_agree: _Stats | None = None
        for s in stats:
            if _beats_best_agree(s, best_agree):
                best_agree = s
        head = (
            [_finalise(best_agree, tids[best_agree.index], best_agree=True)]
            if best_agree is not None
            else []
        )
        if not sufficient:
            if head:
                result[gid] = tuple(head)
                continue
            best_by_test: _Stats | None = None
            for s in stats:
                if best_by_test is None or max(s.rat, s.rdt) > max(
                    best_by_test.rat, best_by_test.rdt
                ):
                    best_by_test = s
            result[gid] = (
                () if best_by_test is None else (_finalise(best_by_test, tids[best_by_test.index]),)
            )
            continue
        best_index = None if best_agree is None else best_agree.index
        ranked = sorted(
            (_finalise(s, tids[s.index]) for s in sufficient if s.index != best_index),
            key=lambda item: -item.metric,
        )
        chosen = (head + ranked)[:limit]
        agrees = [item for item in chosen if item.repful_for == "agree"]
        disagrees = [item for item in chosen if item.repful_for == "disagree"]
        result[gid] = tuple(agrees + disagrees)
    return result


@dataclass(frozen=True)
class ConsensusStatement:
    """A statement most participants agree (or disagree) with; ``metric = p_success * p_test``."""

    tid: int
    n_agree: int
    n_disagree: int
    n_seen: int
    p_success: float
    p_test: float
    metric: float

    def to_dict(self) -> dict[str, Any]:
        """All fields (JSON)."""
        return {
            "tid": self.tid,
            "n_agree": self.n_agree,
            "n_disagree": self.n_disagree,
            "n_seen": self.n_seen,
            "p_success": self.p_success,
            "p_test": self.p_test,
            "metric": self.metric,
        }


@dataclass(frozen=True)
class Consensus:
    """Consensus statements for agreement and for disagreement, best first."""

    agree: tuple[ConsensusStatement, ...]
    disagree: tuple[ConsensusStatement, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"agree": [...], "disagree": [...]}``."""
        return {
            "agree": [item.to_dict() for item in self.agree],
            "disagree": [item.to_dict() for item in self.disagree],
        }


def consensus_statements(matrix: VoteMatrix, *, limit: int = MAX_CONSENSUS) -> Consensus:
    """Pol.is ``select-consensus-comments`` over every participant's latest votes."""
    counts = matrix.statement_counts()
    na, nd, ns = counts.n_agree, counts.n_disagree, counts.n_seen

    def side(successes: IntArray) -> tuple[ConsensusStatement, ...]:
        p = (successes + 1.0) / (ns + 2.0)
        test = prop_test(successes, ns)
        metric = p * test
        eligible = np.flatnonzero((p > 0.5) & (test > Z_90))
        order = eligible[np.argsort(-metric[eligible], kind="stable")][:limit]
        return tuple(
            ConsensusStatement(
                tid=int(counts.statement_ids[j]),
                n_agree=int(na[j]),
                n_disagree=int(nd[j]),
                n_seen=int(ns[j]),
                p_success=float(p[j]),
                p_test=float(test[j]),
                metric=float(metric[j]),
            )
            for j in order
        )

    return Consensus(agree=side(na), disagree=side(nd))


@dataclass(frozen=True)
class GroupCount:
    """One group's votes on a statement and its smoothed agree probability."""

    group: int
    n_agree: int
    n_disagree: int
    n_seen: int
    p_agree: float

    def to_dict(self) -> dict[str, Any]:
        """All fields (JSON)."""
        return {
            "group": self.group,
            "n_agree": self.n_agree,
            "n_disagree": self.n_disagree,
            "n_seen": self.n_seen,
            "p_agree": self.p_agree,
        }


@dataclass(frozen=True)
class GroupInformedStatement:
    """Group-informed consensus: ``consensus`` = product of the groups' ``p_agree``."""

    tid: int
    consensus: float
    groups: tuple[GroupCount, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"tid", "consensus", "groups": [...]}``."""
        return {
            "tid": self.tid,
            "consensus": self.consensus,
            "groups": [item.to_dict() for item in self.groups],
        }


def group_informed_consensus(
    counts: GroupVoteCounts, *, voted: npt.ArrayLike | None = None, limit: int | None = None
) -> tuple[GroupInformedStatement, ...]:
    """Statements by the product over groups of ``(A + 1) / (S + 2)``, best first.

    ``voted`` (booleans per statement) restricts the result to statements with any vote, as
    Pol.is does; ties keep ascending statement id.
    """
    p = (counts.n_agree + 1.0) / (counts.n_seen + 2.0)
    score = np.prod(p, axis=0) if len(counts.group_ids) else np.zeros(p.shape[1])
    candidates = (
        np.arange(p.shape[1]) if voted is None else np.flatnonzero(np.asarray(voted, dtype=bool))
    )
    order = candidates[np.argsort(-score[candidates], kind="stable")]
    if limit is not None:
        order = order[:limit]
    gids = counts.group_ids.tolist()
    na, nd, ns, pl = (
        counts.n_agree.T.tolist(),
        counts.n_disagree.T.tolist(),
        counts.n_seen.T.tolist(),
        p.T.tolist(),
    )
    return tuple(
        GroupInformedStatement(
            tid=int(counts.statement_ids[j]),
            consensus=float(score[j]),
            groups=tuple(
                GroupCount(group=g, n_agree=a, n_disagree=d, n_seen=s, p_agree=q)
                for g, a, d, s, q in zip(gids, na[j], nd[j], ns[j], pl[j], strict=True)
            ),
        )
        for j in order.tolist()
    )


@dataclass(frozen=True, eq=False)
class Analysis:
    """The whole opinion-group analysis of one conversation."""

    groups: GroupResult
    representative: Mapping[int, tuple[RepresentativeStatement, ...]]
    consensus: Consensus
    group_informed_consensus: tuple[GroupInformedStatement, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON printed by ``whatworks-analytics deliberation``."""
        return {
            "groups": [group.to_dict() for group in self.groups.groups],
            "representative": {
                str(gid): [item.to_dict() for item in items]
                for gid, items in self.representative.items()
            },
            "consensus": self.consensus.to_dict(),
            "group_informed_consensus": [item.to_dict() for item in self.group_informed_consensus],
        }


def analyse(
    matrix: VoteMatrix,
    *,
    seed: int = 0,
    groups: Mapping[int, int] | None = None,
    min_votes: int = DEFAULT_MIN_VOTES,
    min_participants: int = DEFAULT_MIN_PARTICIPANTS,
    grouping: GroupResult | None = None,
) -> Analysis:
    """Groups (found with ``seed``, or ``groups`` given as participant id -> group id, or
    ``grouping`` already found for ``matrix``, e.g. by :func:`.replay.replay_groups`), then
    representative statements, consensus and group-informed consensus."""
    if grouping is not None:
        found = grouping
    elif groups is None:
        found = find_groups(
            matrix, seed=seed, min_votes=min_votes, min_participants=min_participants
        )
    else:
        found = groups_from_labels(matrix, labels=groups)
    counts = group_vote_counts(matrix, found)
    voted = matrix.statement_counts().n_seen > 0
    return Analysis(
        groups=found,
        representative=representative_statements(counts),
        consensus=consensus_statements(matrix),
        group_informed_consensus=group_informed_consensus(counts, voted=voted),
    )
