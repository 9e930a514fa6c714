"""Timing of the opinion-group analysis on a large synthetic conversation.

Run with ``uv run --frozen python benchmarks/bench_deliberation.py [--participants N]
[--statements M] [--votes-per-participant V] [--seed S]``.  Defaults: 10,000 participants,
1,000 statements, 100 votes each (1,000,000 votes), three latent opinion groups.  The target
is a full analysis (matrix, PCA, k-means with silhouette selection, representative
statements, consensus, group-informed consensus) under 10 s on 2 cores.

Synthetic model: each participant belongs to one of three latent groups (sizes 50/30/20 %);
each group has its own agree probability per statement; participants vote on a random subset
of statements, pass with probability 0.15, and otherwise agree with their group's
probability.  About 2 % of the votes are re-votes (later timestamps) to exercise
latest-vote-wins.

``--replay-updates 1,5,10,20`` then times the analysis with the groups found by replaying the
votes through Pol.is's stateful updates (``whatworks_analytics.deliberation.replay``) in that
many equal batches, once per count, to show how the replay's cost grows with the number of
updates.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from whatworks_analytics.deliberation import analyse, build_matrix
from whatworks_analytics.deliberation.replay import replay_groups


def synthetic_votes(
    *, participants: int, statements: int, per_participant: int, seed: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Vote log arrays (participant, statement, vote, timestamp) and the latent groups."""
    rng = np.random.default_rng(seed)
    latent = rng.choice(3, size=participants, p=[0.5, 0.3, 0.2])
    agree_probability = rng.beta(0.6, 0.6, size=(3, statements))
    per = min(per_participant, statements)
    # a random subset of statements per participant: argsort of random keys, vectorised
    keys = rng.random((participants, statements))
    chosen = np.argpartition(keys, per - 1, axis=1)[:, :per]
    pid = np.repeat(np.arange(participants), per)
    tid = chosen.ravel()
    p_agree = agree_probability[latent[pid], tid]
    draw = rng.random(pid.size)
    vote = np.where(draw < p_agree, 1, -1)
    vote[rng.random(pid.size) < 0.15] = 0
    timestamp = 1_700_000_000_000 + rng.integers(0, 86_400_000, pid.size)
    again = rng.random(pid.size) < 0.02
    pid = np.concatenate([pid, pid[again]])
    tid = np.concatenate([tid, tid[again]])
    vote = np.concatenate([vote, rng.choice([-1, 0, 1], size=int(again.sum()))])
    timestamp = np.concatenate([timestamp, timestamp[again] + 1_000])
    log = {"participant": pid, "statement": tid, "vote": vote, "timestamp": timestamp}
    return log, latent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=1_000)
    parser.add_argument("--votes-per-participant", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--replay-updates",
        default="",
        metavar="N,N,...",
        help="also time the replay with these numbers of updates (e.g. 1,5,10,20)",
    )
    args = parser.parse_args()

    start = time.perf_counter()
    import sklearn.cluster  # noqa: F401  (imported once; timed separately from the runs)

    print(f"importing scikit-learn: {time.perf_counter() - start:.2f}s (once per process)")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    log, latent = synthetic_votes(
        participants=args.participants,
        statements=args.statements,
        per_participant=args.votes_per_participant,
        seed=args.seed,
    )
    print(
        f"cores available: {cores}; participants: {args.participants:,}; "
        f"statements: {args.statements:,}; vote events: {log['vote'].size:,}"
    )
    totals = []
    for repeat in range(args.repeats):
        start = time.perf_counter()
        matrix = build_matrix(**log)
        built = time.perf_counter()
        result = analyse(matrix, seed=args.seed)
        done = time.perf_counter()
        totals.append(done - start)
        sizes = [len(group.members) for group in result.groups.groups]
        # share of participants whose found group's majority latent group is their own
        found = result.groups.labels[
            np.searchsorted(matrix.participant_ids, np.arange(latent.size))
        ]
        placed = found >= 0
        table = np.zeros((max(result.groups.k, 1), 3), dtype=np.int64)
        np.add.at(table, (found[placed], latent[placed]), 1)
        recovered = table.max(axis=1).sum() / max(int(placed.sum()), 1)
        print(
            f"run {repeat + 1}: matrix {built - start:6.2f}s  analysis {done - built:6.2f}s  "
            f"total {done - start:6.2f}s  k={result.groups.k} sizes={sizes} "
            f"latent groups recovered: {recovered:.1%}"
        )
    best, median = min(totals), float(np.median(totals))
    verdict = "meets" if median < 10.0 else "misses"
    print(f"best {best:.2f}s, median {median:.2f}s: {verdict} the 10 s target on {cores} cores")
    for updates in [int(u) for u in args.replay_updates.split(",") if u.strip()]:
        start = time.perf_counter()
        matrix = build_matrix(**log)
        grouping = replay_groups(**log, matrix=matrix, n_updates=updates, interval_ms=None)
        replayed = time.perf_counter()
        result = analyse(matrix, grouping=grouping)
        done = time.perf_counter()
        sizes = [len(group.members) for group in result.groups.groups]
        verdict = "meets" if done - start < 10.0 else "misses"
        print(
            f"replay, {updates:3d} updates: matrix + replay {replayed - start:6.2f}s "
            f"({(replayed - start) / updates:5.2f}s per update)  rest {done - replayed:5.2f}s  "
            f"total {done - start:6.2f}s  k={result.groups.k} sizes={sizes}: {verdict} 10 s"
        )


if __name__ == "__main__":
    main()
