"""Benchmark a pilot run: validate + run (3 models, 4 temporal splits, k-fold, audit, report).

Targets (2 cores): 30,000 referrals over 5 years in under 60 s; the run's total time against
the bare model fits on the same matrices, as a ratio, under 1.5.  With ``--england``: 3,000,000
referrals over 5 years, run under 15 minutes and peak memory under 8 GB.

    uv run --frozen python benchmarks/bench_pilot_run.py [--referrals N] [--england]

Writes a seeded synthetic dataset (CSV) to a temporary folder, then times
``load_dataset`` (validation included), ``run`` with the example config
(``packages/analytics/examples/escalation.yaml``) and the rendering of the bundle and the
report.  The "bare fits" refit the same models on the same matrices (the run's temporal
splits and k-fold folds) with nothing else around them.  A warm-up run on 3,000 referrals
comes first, so that one-time costs of the process (imports on first use) fall on neither
side of the ratio.  Wall-clock and CPU times are both
printed: on a shared machine the CPU time is the better guide to an idle 2-core machine,
since the fits use one thread.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from whatworks_analytics.pilots.config import ExperimentConfig, load_config
from whatworks_analytics.pilots.features import build_features
from whatworks_analytics.pilots.labels import data_end, decision_points, label_points
from whatworks_analytics.pilots.models import make_model, score
from whatworks_analytics.pilots.report import render_report
from whatworks_analytics.pilots.run import derived_seed, run
from whatworks_analytics.pilots.splits import temporal_splits
from whatworks_analytics.pilots.synth import SynthConfig, write_synthetic
from whatworks_analytics.pilots.validate import PilotDataset, load_dataset

EXAMPLE = Path(__file__).parents[1] / "packages" / "analytics" / "examples" / "escalation.yaml"


class Timer:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out


def bare_fits(config: ExperimentConfig, dataset: PilotDataset) -> tuple[float, float, int]:
    """Refit every model of every used split and k-fold fold; (wall, cpu, fits)."""
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    label_end = config.outcome.label_end or data_end(dataset)
    points = decision_points(dataset, config.cohort)
    labelled = label_points(points, dataset, config.outcome, label_end=label_end)
    features = build_features(points, dataset, config.features)
    X, y = features.values, labelled["label"].to_numpy().astype(np.int8)
    dates = labelled["decision_date"]
    jobs = []
    for split in temporal_splits(
        label_end=label_end,
        window_days=config.outcome.window_days,
        test_days=config.splits.test_days,
        n_splits=config.splits.n_splits,
        step_days=config.splits.step_days,
    ):
        train = np.flatnonzero((dates < split.train_decisions_before).to_numpy())
        test = np.flatnonzero(((dates >= split.test_start) & (dates < split.test_end)).to_numpy())
        if len(train) >= config.splits.min_train_rows and len(test):
            jobs += [(spec, split.index, train, test) for spec in config.models]
    rows = np.flatnonzero(labelled["observable"].to_numpy())
    if config.splits.kfold >= 2:
        folds = StratifiedKFold(
            n_splits=config.splits.kfold,
            shuffle=True,
            random_state=derived_seed(config.seed, "kfold") % 2**31,
        )
        for fold, (train, test) in enumerate(folds.split(np.zeros(len(rows)), y[rows])):
            jobs += [(spec, f"k{fold}", rows[train], rows[test]) for spec in config.models]
    timer = Timer()
    for spec, key, train, test in jobs:
        model = make_model(spec.kind, spec.params, feature_names=features.names, seed=0)
        with threadpool_limits(limits=1, user_api="blas"):
            model.fit(X[train], y[train])
            score(model, X[test])
        del key
    wall, cpu = timer.lap()
    return wall, cpu, len(jobs)


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=30_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--england", action="store_true", help="3,000,000 referrals")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare-fit comparison")
    args = parser.parse_args()
    referrals = 3_000_000 if args.england else args.referrals
    config = load_config(EXAMPLE)
    print(f"cores available: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pilot"
        timer = Timer()
        fmt = "parquet" if args.england else "csv"
        write_synthetic(
            SynthConfig(referrals=referrals, years=args.years, seed=1),
            folder,
            file_format=fmt,
        )
        wall, cpu = timer.lap()
        print(f"synth {referrals:,} referrals ({fmt}): {wall:.1f} s wall, {cpu:.1f} s CPU")
        if not args.no_bare:
            # Warm up first (imports done on first use, LightGBM's and polars' one-time
            # set-up), so that the run and the bare fits after it are compared alike.
            warm = Path(tmp) / "warm"
            write_synthetic(SynthConfig(referrals=3_000, years=args.years, seed=2), warm)
            cold = time.perf_counter()
            run(config, load_dataset(warm))
            print(f"warm-up run on 3,000 referrals: {time.perf_counter() - cold:.1f} s wall")
            timer.lap()
        dataset = load_dataset(folder)
        v_wall, v_cpu = timer.lap()
        print(f"validate + load:     {v_wall:7.1f} s wall {v_cpu:7.1f} s CPU")
        result = run(config, dataset)
        text = result.to_json()
        html = render_report(result.bundle)
        r_wall, r_cpu = timer.lap()
        fits = result.timings.get("model_fits", 0.0)
        print(f"run + bundle + report:{r_wall:6.1f} s wall {r_cpu:7.1f} s CPU")
        print(f"  of which model fits (inside the run): {fits:.1f} s wall")
        slowest = sorted(result.timings.items(), key=lambda kv: -kv[1])[:6]
        print("  slowest steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
        print(f"validate + run total: {v_wall + r_wall:.1f} s wall, {v_cpu + r_cpu:.1f} s CPU")
        print(f"bundle {len(text) / 1e6:.2f} MB, report {len(html) / 1e6:.2f} MB")
        print(f"peak memory (RSS): {peak_rss_gb():.2f} GB")
        print(f"verdict: {result.bundle.verdict.sentence}")
        if not args.no_bare:
            b_wall, b_cpu, n = bare_fits(config, dataset)
            print(
                f"bare fits ({n} fits on the same matrices): {b_wall:.1f} s wall, {b_cpu:.1f} s CPU"
            )
            print(
                f"ratio run / bare fits: {r_wall / b_wall:.2f} wall, {r_cpu / b_cpu:.2f} CPU "
                "(target < 1.5)"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
