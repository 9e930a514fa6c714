"""Benchmark raking: 100,000 respondents on 4 variables.

Target: under 1 s on 2 cores.

    uv run --frozen python benchmarks/bench_weighting.py [--rows N] [--repeat R]

Generates a seeded sample skewed against the children's social work workforce targets
(region 9 levels, role 6, ethnicity 5, sex 2), then times ``rake`` (from string columns,
encoding included), plain and with weights capped at 6 times the mean, best and median of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from whatworks_analytics.weighting import rake

TARGETS: dict[str, dict[str, float]] = {
    "region": {
        "North East": 0.063, "North West": 0.139, "Yorkshire and The Humber": 0.118,
        "East Midlands": 0.076, "West Midlands": 0.109, "East of England": 0.092,
        "London": 0.164, "South East": 0.148, "South West": 0.090,
    },
    "role": {
        "case holder": 0.502, "senior practitioner": 0.159, "first line manager": 0.140,
        "middle manager": 0.043, "senior manager": 0.018, "qualified without cases": 0.139,
    },
    "ethnicity": {"White": 0.780, "Mixed": 0.035, "Asian": 0.056, "Black": 0.120, "Other": 0.008},
    "sex": {"female": 0.86, "male": 0.14},
}  # fmt: skip


def make_sample(rows: int, *, seed: int = 2019) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sample = {}
    for variable, shares in TARGETS.items():
        levels = np.array(list(shares))
        skew = rng.dirichlet(np.ones(len(levels)) * 2.0)
        p = 0.5 * np.array(list(shares.values())) / sum(shares.values()) + 0.5 * skew
        sample[variable] = rng.choice(levels, rows, p=p / p.sum())
    return sample


def timed(repeat: int, **kwargs: object) -> tuple[float, float, object]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = rake(**kwargs)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sample = make_sample(args.rows)
    print(f"{args.rows:,} rows, 4 variables, {os.cpu_count()} cores")
    for label, extra in (("rake", {}), ("rake, trim 6", {"trim": 6.0})):
        best, median, result = timed(args.repeat, sample=sample, targets=TARGETS, **extra)
        print(
            f"{label:<14} best {best:.3f} s  median {median:.3f} s  "
            f"iterations {result.iterations}  converged {result.converged}  "  # type: ignore[attr-defined]
            f"deff {result.design_effect:.3f}"  # type: ignore[attr-defined]
        )


if __name__ == "__main__":
    main()
