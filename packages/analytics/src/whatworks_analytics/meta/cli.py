"""``whatworks-analytics meta``: pool the studies in a CSV file and print the result as JSON.

Columns by measure (a ``study`` label column is optional, other columns are ignored):

* ``GENERIC``: yi, vi
* ``RR`` and ``OR``: ai, bi, ci, di (events and non-events, treatment then control)
* ``SMD``: m1, sd1, n1, m2, sd2, n2

A study with a missing value in a column it needs is left out, as metafor does, and named on
stderr in a line starting ``warning:`` (``--missing error`` refuses the file instead).
Invalid input prints every problem on its own line (with row number, counting data rows from
1 under the header, and column name) to stderr and exits with ``EXIT_INVALID_INPUT``; a file
that cannot be read exits with ``EXIT_IO``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK
from whatworks_analytics.meta.effect_sizes import (
    Measure,
    MetaInputError,
    StudiesOmittedWarning,
    effect_sizes_from_frame,
)
from whatworks_analytics.meta.pooling import MetaConvergenceError, Method, Test, pool

if TYPE_CHECKING:
    import polars as pl

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``meta`` sub-command."""
    parser = subparsers.add_parser(
        "meta",
        help="meta-analysis of the studies in a CSV file",
        description="Pool the studies in a CSV file and print the result as JSON.",
        epilog=(
            "columns: GENERIC yi, vi; RR and OR ai, bi, ci, di; "
            "SMD m1, sd1, n1, m2, sd2, n2 (plus an optional study label column)"
        ),
    )
    parser.add_argument(
        "file", metavar="FILE.csv", help="CSV file, one study per row ('-' for stdin)"
    )
    parser.add_argument(
        "--measure",
        required=True,
        type=str.upper,
        choices=[member.value for member in Measure],
        help="effect-size measure",
    )
    parser.add_argument(
        "--method",
        default=Method.REML.value,
        type=str.upper,
        choices=[member.value for member in Method],
        help="fixed effect (FE) or the estimator of tau² for random effects (default: REML)",
    )
    parser.add_argument(
        "--test",
        default=Test.Z.value,
        type=str.lower,
        choices=[member.value for member in Test],
        help="z (default) or knha: the Knapp-Hartung adjustment, t with k-1 df",
    )
    parser.add_argument(
        "--missing",
        default="drop",
        choices=["drop", "error"],
        help="a study with a missing value: drop it with a warning (default, as metafor) "
        "or refuse the file",
    )
    parser.add_argument(
        "--level",
        type=float,
        default=95.0,
        metavar="PERCENT",
        help="confidence level in percent (default: 95)",
    )
    parser.set_defaults(handler=run)


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def _read_csv(source: str) -> pl.DataFrame:
    """Read every column as text so that bad cells can be reported one by one."""
    import polars as pl

    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    if not data.strip():
        raise ValueError("the file is empty")
    return pl.read_csv(io.BytesIO(data), infer_schema=False)


def run(args: argparse.Namespace) -> int:
    """Handle ``meta``: read, validate, pool, print JSON; return an exit code."""
    import polars as pl

    source = str(args.file)
    name = "standard input" if source == "-" else source
    if not 0.0 < args.level < 100.0:
        return _fail(
            f"error: --level must be between 0 and 100 (got {args.level:g})", EXIT_INVALID_INPUT
        )
    try:
        frame = _read_csv(source)
    except OSError as error:
        reason = error.strerror or str(error)
        return _fail(f"error: cannot read {name}: {reason}", EXIT_IO)
    except (ValueError, pl.exceptions.PolarsError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "unknown"
        if "utf-8" in first_line.lower() or "utf8" in first_line.lower():
            first_line += " (save the file as UTF-8)"
        return _fail(f"error: {name} is not a readable CSV file: {first_line}", EXIT_INVALID_INPUT)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StudiesOmittedWarning)
            effects = effect_sizes_from_frame(frame, measure=args.measure, missing=args.missing)
        for warning in caught:
            print(f"warning: {name}: {warning.message}", file=sys.stderr)
        result = pool(
            effects,
            method=args.method,
            level=args.level / 100.0,
            test=args.test,
            heterogeneity_ci=True,
        )
    except MetaInputError as error:
        count = len(error.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"error: {name}: {count} {noun} (rows count from 1 after the header):"]
        lines += [f"  {problem}" for problem in error.problems]
        return _fail("\n".join(lines), EXIT_INVALID_INPUT)
    except MetaConvergenceError as error:
        return _fail(f"error: {name}: {error}", EXIT_INVALID_INPUT)

    print(json.dumps(result.to_dict(), indent=2))
    return EXIT_OK
