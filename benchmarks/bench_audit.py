"""Benchmark the fairness audit: 1,000,000 scored rows, 4 group columns, end to end.

Target: under 2 s on 2 cores, reading the CSV with polars included.

    uv run --frozen python benchmarks/bench_audit.py [--rows N] [--repeat R] [--fairlearn]

Generates a seeded synthetic file in a temporary folder, then times

* ``audit_csv`` in-process (read + validate + flag + count + compare + JSON), best and median
  of ``--repeat`` runs; also with ``--intersections`` and a 1,000-replicate bootstrap;
* the ``whatworks-analytics audit`` command in a fresh interpreter (imports included), and
  the same with only the audit sub-command registered (so without other sub-commands'
  imports);
* with ``--fairlearn``, the same per-group rates through fairlearn's ``MetricFrame`` (one
  frame per group column, data already in memory), the reason the audit counts with polars.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from whatworks_analytics.fairness import (
    AuditConfig,
    BootstrapSettings,
    FlagRule,
    audit_csv,
)

GROUPS = ("ethnicity", "sex", "age_band", "area")

_AUDIT_ONLY = (
    "import argparse, sys\n"
    "from whatworks_analytics.fairness import cli\n"
    "parser = argparse.ArgumentParser()\n"
    "cli.register(parser.add_subparsers())\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.handler(args))\n"
)


def make_rows(rows: int, *, seed: int = 20240611) -> pl.DataFrame:
    """A seeded synthetic scored population with a built-in disparity."""
    rng = np.random.default_rng(seed)
    ethnicity = rng.choice(
        np.array(["White", "Black", "Asian", "Mixed", "Other"]),
        rows,
        p=[0.72, 0.08, 0.1, 0.07, 0.03],
    )
    sex = rng.choice(np.array(["F", "M"]), rows)
    age_band = rng.choice(np.array(["0-4", "5-9", "10-15", "16-17"]), rows)
    area = rng.choice(np.array([f"LA{i:02d}" for i in range(1, 21)]), rows)
    risk = 0.18 + 0.06 * (ethnicity == "Black") + 0.03 * (age_band == "0-4")
    label = (rng.random(rows) < risk).astype(np.int8)
    score = np.clip(0.25 * label + 0.75 * rng.random(rows) + 0.04 * (ethnicity == "Mixed"), 0, 1)
    return pl.DataFrame(
        {
            "id": np.arange(rows),
            "score": np.round(score, 4),
            "outcome": label,
            "ethnicity": ethnicity,
            "sex": sex,
            "age_band": age_band,
            "area": area,
        }
    )


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def show(name: str, times: list[float]) -> None:
    print(
        f"{name:<52} best {min(times):6.3f} s   median {statistics.median(times):6.3f} s"
        f"   ({len(times)} run{'s' if len(times) > 1 else ''})"
    )


def fairlearn_rates(frame: pl.DataFrame) -> None:  # pragma: no cover - optional comparison
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
    )

    y_true = frame.get_column("outcome").to_numpy()
    y_pred = (frame.get_column("score") >= 0.5).to_numpy().astype(np.int8)
    for column in GROUPS:
        _ = MetricFrame(
            metrics={
                "n": count,
                "selection_rate": selection_rate,
                "fpr": false_positive_rate,
                "fnr": false_negative_rate,
            },
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=frame.get_column(column).to_numpy(),
        ).by_group


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fairlearn", action="store_true", help="also time fairlearn")
    args = parser.parse_args()

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print(f"cores: os.cpu_count() = {os.cpu_count()}, usable by this process = {affinity}")
    print(f"polars threads: {pl.thread_pool_size()}")
    frame = make_rows(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scores.csv"
        frame.write_csv(path)
        size = path.stat().st_size / 1e6
        print(f"rows: {frame.height:,}; group columns: {len(GROUPS)}; CSV {size:.1f} MB")

        config = AuditConfig(
            score="score",
            label="outcome",
            groups=GROUPS,
            flag_rule=FlagRule(top_percent=10),
            action="punitive",
        )
        show(
            "audit_csv + to_json (top 10%)",
            timed(lambda: audit_csv(path, config).to_json(), args.repeat),
        )
        threshold = AuditConfig(
            score="score", label="outcome", groups=GROUPS, flag_rule=FlagRule(threshold=0.5)
        )
        show(
            "audit_csv + to_json (threshold 0.5)",
            timed(lambda: audit_csv(path, threshold).to_json(), args.repeat),
        )
        full = AuditConfig(
            score="score",
            label="outcome",
            groups=GROUPS,
            flag_rule=FlagRule(top_percent=10),
            action="punitive",
            intersections=True,
            bootstrap=BootstrapSettings(replicates=1000, seed=1),
        )
        show(
            "... + intersections + bootstrap 1000 + HTML",
            timed(lambda: (r := audit_csv(path, full)).to_json() + r.to_html(), args.repeat),
        )
        audit_args = [
            "audit",
            "--scores",
            str(path),
            "--score",
            "score",
            "--label",
            "outcome",
            *(item for group in GROUPS for item in ("--group", group)),
            "--top-percent",
            "10",
            "--action",
            "punitive",
        ]
        command = [sys.executable, "-m", "whatworks_analytics.cli", *audit_args]
        show(
            "whatworks-analytics audit, fresh interpreter",
            timed(lambda: subprocess.run(command, check=True, capture_output=True), args.repeat),
        )
        # The same command with only the audit registered: the cost of this package alone,
        # without the imports of the other sub-commands.
        alone = [sys.executable, "-c", _AUDIT_ONLY, *audit_args]
        show(
            "audit sub-command alone, fresh interpreter",
            timed(lambda: subprocess.run(alone, check=True, capture_output=True), args.repeat),
        )
        if args.fairlearn:
            show(
                "fairlearn MetricFrame, 4 attributes, in memory",
                timed(lambda: fairlearn_rates(frame), 1),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
