"""Benchmark the synthetic pilot generator and the validator: wall time and peak memory.

Target: 3,000,000 referrals over 5 years generated in under 3 minutes on 2 cores, with peak
memory well under 8 GB; the same dataset validated quickly.

    uv run --frozen python benchmarks/bench_synth.py [--full] [--format csv|parquet]
                                                   [--sizes N ...] [--keep DIR]

For each size (30,000 referrals; with ``--full`` also 3,000,000) it runs, each in a fresh
interpreter so the figures include imports and are not polluted by each other,

* ``whatworks-analytics synth --referrals N --years 5 --seed 0 --quiet`` into a temporary
  folder (generation and atomic writing), then
* ``whatworks-analytics validate`` on what was written (read, check, report),

and prints the wall time, the peak resident memory of the child process (from ``wait4``)
and the size on disk.  The machine's core count is printed too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SMALL = 30_000
FULL = 3_000_000


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One timed child process."""

    step: str
    referrals: int
    seconds: float
    peak_rss_mb: float
    exit_code: int


def run_measured(*, step: str, referrals: int, arguments: list[str]) -> Measurement:
    """Run the command line in a fresh interpreter; measure wall time and peak RSS."""
    command = [sys.executable, "-m", "whatworks_analytics.cli", *arguments]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return Measurement(
        step=step,
        referrals=referrals,
        seconds=seconds,
        peak_rss_mb=usage.ru_maxrss / scale,
        exit_code=process.returncode,
    )


def folder_size_mb(folder: Path) -> float:
    """Total size of the files in ``folder`` in megabytes."""
    return sum(path.stat().st_size for path in folder.iterdir()) / 1e6


def bench(referrals: int, *, file_format: str, root: Path) -> list[Measurement]:
    """Generate then validate ``referrals`` referrals under ``root``."""
    out = root / f"pilot-{referrals}-{file_format}"
    synth = run_measured(
        step="synth",
        referrals=referrals,
        arguments=[
            "synth",
            "--referrals",
            str(referrals),
            "--years",
            "5",
            "--seed",
            "0",
            "--out",
            str(out),
            "--format",
            file_format,
            "--quiet",
            "--overwrite",
        ],
    )
    if synth.exit_code != 0:
        return [synth]
    print(f"  {referrals:>9,} referrals: {folder_size_mb(out):,.0f} MB of {file_format}")
    validate = run_measured(step="validate", referrals=referrals, arguments=["validate", str(out)])
    return [synth, validate]


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help=f"also {FULL:,} referrals")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--sizes", type=int, nargs="*", help="referral counts to run instead")
    parser.add_argument("--keep", type=Path, help="write the datasets here and keep them")
    args = parser.parse_args()
    sizes = args.sizes or ([SMALL, FULL] if args.full else [SMALL])
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, format {args.format}")
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as scratch:
        root = args.keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            results += bench(size, file_format=args.format, root=root)
    print(f"{'step':<9} {'referrals':>10} {'seconds':>9} {'peak RSS MB':>12} {'exit':>5}")
    for m in results:
        print(
            f"{m.step:<9} {m.referrals:>10,} {m.seconds:>9.1f} {m.peak_rss_mb:>12,.0f} "
            f"{m.exit_code:>5}"
        )
    return 0 if all(m.exit_code == 0 for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())
