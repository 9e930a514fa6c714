"""Timing of the meta-analysis code: effect sizes, pooling and forest plots.

Run with ``uv run --frozen python benchmarks/bench_meta.py``; takes a few seconds.  Prints
the median wall time of several repeats for growing numbers of studies.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from whatworks_analytics.meta import forest_svg, hedges_g, pool


def median_seconds(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(2024)
    print(f"{'k':>7}  {'hedges_g':>10}  {'FE':>10}  {'DL':>10}  {'REML':>10}")
    for k in (10, 100, 1_000, 10_000, 100_000):
        n1 = rng.integers(10, 500, k)
        n2 = rng.integers(10, 500, k)
        columns = {
            "m1": rng.normal(0.3, 0.5, k),
            "sd1": rng.uniform(0.5, 2.0, k),
            "n1": n1,
            "m2": np.zeros(k),
            "sd2": rng.uniform(0.5, 2.0, k),
            "n2": n2,
        }
        effects = hedges_g(**columns)
        timings = [median_seconds(lambda c=columns: hedges_g(**c), 5)]
        for method in ("FE", "DL", "REML"):
            timings.append(median_seconds(lambda e=effects, m=method: pool(e, method=m), 5))
        print(f"{k:>7}  " + "  ".join(f"{1000 * t:8.2f}ms" for t in timings))

    print(f"\n{'k':>7}  {'forest_svg':>10}")
    for k in (13, 50, 200):
        effects = hedges_g(
            m1=rng.normal(0.3, 0.5, k),
            sd1=np.ones(k),
            n1=np.full(k, 40),
            m2=np.zeros(k),
            sd2=np.ones(k),
            n2=np.full(k, 40),
        )
        result = pool(effects)
        seconds = median_seconds(lambda e=effects, r=result: forest_svg(e, r, id_prefix="b"), 3)
        print(f"{k:>7}  {1000 * seconds:8.1f}ms")


if __name__ == "__main__":
    main()
