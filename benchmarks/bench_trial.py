"""Benchmark the trial analysis: a 100,000-participant cluster trial with CR2 errors.

Target: 100,000 participants in 500 clusters with 5 covariates, analysed with CR2 errors
(Bell-McCaffrey degrees of freedom) in under 10 s on 2 cores.

    uv run --frozen python benchmarks/bench_trial.py [--rows N] [--clusters M] [--repeat R]

Generates a seeded cluster-randomised trial (half the clusters treated, an ICC of about
0.1, five participant-level covariates, 5% of outcomes missing), then times
``analyse_trial`` end to end from the polars frame (flow, baseline equivalence of the five
covariates, the CR2 fit, Hedges' g, the ICC and the MDES at randomisation), and the same
with a binary outcome (adding the logistic regression for the odds ratio), best and median
of ``--repeat`` runs; and a new ``whatworks-analytics trial`` process reading the CSV.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from whatworks_analytics.trials import TrialSpec, analyse_trial

COVARIATES = tuple(f"x{i}" for i in range(1, 6))


def make_trial(rows: int, clusters: int, *, seed: int = 2026) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, clusters, rows)
    treated_cluster = rng.permutation(np.arange(clusters) < clusters // 2)
    treated = treated_cluster[cluster]
    x = rng.standard_normal((rows, len(COVARIATES)))
    cluster_effect = rng.standard_normal(clusters) * np.sqrt(0.1)
    y = 0.2 * treated + x @ np.array([0.5, 0.3, 0.2, 0.1, 0.0]) + cluster_effect[cluster]
    y = y + rng.standard_normal(rows) * np.sqrt(0.9)
    y[rng.random(rows) < 0.05] = np.nan
    frame = pl.DataFrame(
        {
            "team": cluster.astype(str),
            "arm": np.where(treated, "rounds", "usual"),
            "wellbeing": y,
            **{name: x[:, i] for i, name in enumerate(COVARIATES)},
        }
    )
    return frame.with_columns(
        pl.col("wellbeing").fill_nan(None),
        (pl.col("wellbeing").fill_nan(None) > 0.2).cast(pl.Int8).alias("good"),
    )


def timed(repeat: int, frame: pl.DataFrame, spec: TrialSpec) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        analyse_trial(frame, spec)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clusters", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = make_trial(args.rows, args.clusters)
    base = {
        "arm": "arm",
        "treatment": "rounds",
        "control": "usual",
        "covariates": COVARIATES,
        "cluster": "team",
    }
    continuous = TrialSpec(outcome="wellbeing", **base)  # type: ignore[arg-type]
    binary = TrialSpec(outcome="good", **base)  # type: ignore[arg-type]
    print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}")
    print(f"{args.rows:,} participants, {args.clusters} clusters, {len(COVARIATES)} covariates")
    for label, spec in (("continuous, CR2", continuous), ("binary, CR2 + odds ratio", binary)):
        best, median = timed(args.repeat, frame, spec)
        print(f"analyse_trial {label}: best {best:.3f} s, median {median:.3f} s")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trial.csv"
        frame.write_csv(path)
        command = [sys.executable, "-m", "whatworks_analytics.cli", "trial", str(path),
                   "--arm", "arm", "--treatment", "rounds", "--control", "usual",
                   "--outcome", "wellbeing", "--cluster", "team"]  # fmt: skip
        for name in COVARIATES:
            command += ["--covariate", name]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        print(
            f"whatworks-analytics trial process, CSV to JSON: {time.perf_counter() - start:.3f} s"
        )


if __name__ == "__main__":
    main()
