"""Timing of one incremental analysis run of the forum at 10,000 participants x 1,000
statements: the conversation's stored Pol.is state stepped with the votes since the last run.

Run with ``uv run --frozen python benchmarks/bench_forum_replay.py [--new-votes N]
[--updates U]``.  The vote log is ``bench_deliberation.py``'s (about 1,020,000 votes); the
state is first built by replaying it as ``--updates`` one-second windows (default 10), then
stored.  One run then does what ``forum.services.analysis_run`` does after the SQL: load
the stored state, step it with ``--new-votes`` new votes (default 1,000, one second of
votes: one Pol.is update), store it again, and compute the rest of the analysis (counts,
representative statements, consensus, extremity) from the whole log.  Target: under 10 s on
2 cores.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
from bench_deliberation import synthetic_votes  # type: ignore[import-not-found]  # a sibling script

from whatworks.forum import analytics


def _log(log: dict[str, np.ndarray], where: Any) -> analytics.VoteLog:
    return analytics.VoteLog(
        log["participant"][where], log["statement"][where], log["vote"][where],
        log["timestamp"][where],
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=1_000)
    parser.add_argument("--votes-per-participant", type=int, default=100)
    parser.add_argument("--new-votes", type=int, default=1_000)
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    log, _ = synthetic_votes(
        participants=args.participants,
        statements=args.statements,
        per_participant=args.votes_per_participant,
        seed=0,
    )
    order = np.argsort(log["timestamp"], kind="stable")
    log = {key: value[order] for key, value in log.items()}
    n = len(order)
    # the history in --updates one-second windows (one Pol.is update each: at one update
    # per second of votes, the day of votes the log spans would be 86,400 updates), then
    # the new votes, all in the next second
    old, new = np.arange(n - args.new_votes), np.arange(n - args.new_votes, n)
    window = analytics.REPLAY_INTERVAL_MS
    log["timestamp"][old] = (old * args.updates // len(old)) * window
    log["timestamp"][new] = args.updates * window + np.arange(args.new_votes) % window
    statements = list(range(args.statements))
    print(f"{args.participants} x {args.statements}, {n} votes; load {os.getloadavg()}")
    start = time.perf_counter()
    state = analytics.replay_load(None, seed=0)
    analytics.replay_step(state, votes=_log(log, old), excluded=[])
    stored = state.to_bytes()
    print(
        f"initial state: {state.n_updates} updates in {time.perf_counter() - start:.2f}s, "
        f"stored {len(stored) / 1e6:.1f} MB"
    )
    for repeat in range(args.repeats):
        begin, cpu = time.perf_counter(), time.process_time()
        state = analytics.replay_load(stored, seed=0)
        loaded = time.perf_counter()
        updates = analytics.replay_step(state, votes=_log(log, new), excluded=[])
        stepped = time.perf_counter()
        state.to_bytes()
        saved = time.perf_counter()
        result = analytics.run_analysis(
            votes=_log(log, np.arange(n)), statements=statements, rejected=[], meta=[], seed=0,
            replay=state,
        )  # fmt: skip
        done = time.perf_counter()
        k = len(result["analysis"]["groups"])
        print(
            f"run {repeat + 1}: load {loaded - begin:5.2f}s  step ({updates} update) "
            f"{stepped - loaded:5.2f}s  store {saved - stepped:5.2f}s  rest of the analysis "
            f"{done - saved:5.2f}s  total {done - begin:5.2f}s ({time.process_time() - cpu:5.2f}s "
            f"CPU)  k={k}  load {os.getloadavg()}"
        )


if __name__ == "__main__":
    main()
