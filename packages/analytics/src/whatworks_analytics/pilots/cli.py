"""The ``validate`` and ``synth`` sub-commands of ``whatworks-analytics``.

``whatworks-analytics validate DIR [--json]`` checks a pilot dataset folder against the data
contract and prints every problem (or, with ``--json``, a JSON object whose ``problems``
list holds them).  Exit codes (shared by every sub-command, see
:mod:`whatworks_analytics.cli`):

* 0 (``EXIT_OK``) -- the folder is a valid pilot dataset;
* 1 (``EXIT_INVALID_INPUT``) -- the folder was read but has problems;
* 2 (``EXIT_USAGE``) -- the command line is wrong;
* 3 (``EXIT_IO``) -- the folder (or a file in it) cannot be read.

``run`` and ``report`` are defined in :mod:`.cli_run` and registered here.

``whatworks-analytics synth --referrals N --years Y --seed S --out DIR`` writes a synthetic
dataset atomically.  Exit codes: 0 written; 2 the options are inconsistent (e.g. a practice
change outside the window); 3 ``DIR`` exists and is not empty (without ``--overwrite``) or
cannot be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, EXIT_USAGE, fail
from whatworks_analytics.pilots.synth import GroupSpec, SynthConfig, write_synthetic
from whatworks_analytics.pilots.validate import (
    DEFAULT_MAX_PER_KIND,
    DatasetReadError,
    validate_dataset,
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def _group(text: str) -> GroupSpec:
    try:
        return GroupSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2))


def run_validate(args: argparse.Namespace) -> int:
    """Validate ``args.folder``; print the report; return the exit code."""
    try:
        report = validate_dataset(args.folder, max_per_kind=args.max_per_kind)
    except DatasetReadError as exc:
        if args.json:
            _print_json({"folder": str(args.folder), "error": str(exc)})
        return fail("validate", str(exc), EXIT_IO)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.render())
    return EXIT_OK if report.is_valid else EXIT_INVALID_INPUT


def run_synth(args: argparse.Namespace) -> int:
    """Generate and write a synthetic dataset; print a summary; return the exit code."""
    try:
        config = SynthConfig(
            referrals=args.referrals,
            years=args.years,
            seed=args.seed,
            start=args.start,
            bias_against=args.bias_against,
            bias_strength=args.bias_strength,
            practice_change=args.practice_change,
        )
    except ValueError as exc:
        if args.json:
            _print_json({"error": "invalid option", "problems": [str(exc)]})
        return fail("synth", str(exc), EXIT_USAGE)
    progress = not args.quiet and sys.stderr.isatty()
    try:
        summary = write_synthetic(
            config,
            args.out,
            file_format=args.format,
            overwrite=args.overwrite,
            progress=progress,
        )
    except OSError as exc:
        if args.json:
            _print_json({"error": f"cannot write {args.out}", "problems": [str(exc)]})
        return fail("synth", f"cannot write {args.out}: {exc}", EXIT_IO)
    if args.json:
        _print_json(summary.to_dict())
    else:
        counts = ", ".join(f"{name} {count:,}" for name, count in summary.row_counts.items())
        print(
            f"Wrote a synthetic pilot dataset ({summary.file_format}) to {summary.out} "
            f"in {summary.seconds:.1f} s: {counts}; "
            f"re-referrals within 12 months {summary.re_referral_rate:.1%}."
        )
    return EXIT_OK


def register(subparsers: Any) -> None:
    """Add the ``validate`` and ``synth`` sub-commands."""
    validate = subparsers.add_parser(
        "validate",
        help="check a pilot dataset folder against the data contract",
        description=(
            "Check every table of a pilot dataset folder against the data contract and "
            "print every problem at once. Exit 0 when valid, 1 when invalid, 3 when the "
            "folder cannot be read."
        ),
    )
    validate.add_argument("folder", type=Path, metavar="DIR", help="the dataset folder")
    validate.add_argument("--json", action="store_true", help="print a JSON report")
    validate.add_argument(
        "--max-per-kind",
        type=_positive_int,
        default=DEFAULT_MAX_PER_KIND,
        metavar="N",
        help="show at most N problems of each kind per column (all are counted; "
        f"default {DEFAULT_MAX_PER_KIND})",
    )
    validate.set_defaults(handler=run_validate)

    synth = subparsers.add_parser(
        "synth",
        help="write a synthetic pilot dataset calibrated to national figures",
        description=(
            "Write a synthetic pilot dataset in the data contract, reproducible from the "
            "seed and calibrated to national statistics for England. The folder is "
            "written atomically. Exit 0 when written, 2 for inconsistent options, 3 when "
            "DIR exists and is not empty (without --overwrite) or cannot be written."
        ),
    )
    synth.add_argument(
        "--referrals",
        type=_positive_int,
        default=30_000,
        metavar="N",
        help="number of referrals (default 30000)",
    )
    synth.add_argument(
        "--years",
        type=_positive_int,
        default=5,
        metavar="Y",
        help="length of the window in years (default 5)",
    )
    synth.add_argument("--seed", type=int, default=0, metavar="S", help="random seed")
    synth.add_argument(
        "--start",
        type=_iso_date,
        default=date(2015, 4, 1),
        metavar="DATE",
        help="first day of the window (default 2015-04-01)",
    )
    synth.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder to write (must not exist or be empty)",
    )
    synth.add_argument(
        "--bias-against",
        type=_group,
        default=None,
        metavar="GROUP",
        help="record more referrals and escalations at the same risk for GROUP: an "
        "ethnicity code (e.g. black) or COLUMN=CODE with COLUMN one of ethnicity, "
        "sex, disability",
    )
    synth.add_argument(
        "--bias-strength",
        type=float,
        default=1.0,
        metavar="X",
        help="strength of --bias-against (default 1.0)",
    )
    synth.add_argument(
        "--practice-change",
        type=_iso_date,
        default=None,
        metavar="DATE",
        help="from DATE, raise the threshold for plans and record domestic violence and "
        "mental health routinely",
    )
    synth.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)"
    )
    synth.add_argument(
        "--overwrite", action="store_true", help="replace DIR if it exists and is not empty"
    )
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.add_argument("--json", action="store_true", help="print a JSON summary")
    synth.set_defaults(handler=run_synth)

    from whatworks_analytics.pilots.cli_run import register_run
    from whatworks_analytics.pilots.cli_shadow import register_shadow

    register_run(subparsers)
    register_shadow(subparsers)
