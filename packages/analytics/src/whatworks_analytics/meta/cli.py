"""``whatworks-analytics meta``: pool the studies in a CSV file and print the result as JSON.

Columns by measure (a ``study`` label column is optional, other columns are ignored):

* ``GENERIC``: yi, vi
* ``RR`` and ``OR``: ai, bi, ci, di (events and non-events, treatment then control)
* ``SMD``: m1, sd1, n1, m2, sd2, n2

Options add analyses to the JSON (each under its own key): ``--pooling mh`` or ``peto``
(Mantel-Haenszel or Peto pooling of 2x2 counts instead of inverse variance),
``--subgroup COLUMN`` (``subgroups``: each subgroup pooled, and the test of differences),
``--moderator COLUMN`` (repeatable; ``meta_regression``), ``--leave-one-out``,
``--cumulative`` (in file order), ``--bias`` (``publication_bias``: Egger's test, the rank
correlation test, trim-and-fill) and ``--funnel FILE.svg`` (writes the funnel plot, with its
text alternative).  Every analysis uses ``--method``, ``--test`` and ``--level``.

A study with a missing value in a column it needs is left out, as metafor does, and named on
stderr in a line starting ``whatworks-analytics meta: warning:`` (``--missing error`` refuses
the file instead).
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
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whatworks_analytics.cli import (
    EXIT_INVALID_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    add_json_flag,
    fail,
    warn,
)
from whatworks_analytics.meta.effect_sizes import (
    EffectSizes,
    InputProblem,
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
        "--pooling",
        default="inverse-variance",
        choices=["inverse-variance", "mh", "peto"],
        help="inverse-variance (default), mh (Mantel-Haenszel, RR or OR) or peto (OR)",
    )
    parser.add_argument(
        "--subgroup", metavar="COLUMN", help="pool each subgroup and test their differences"
    )
    parser.add_argument(
        "--moderator",
        metavar="COLUMN",
        action="append",
        default=[],
        help="meta-regression on this column (repeat for several; text columns are factors)",
    )
    parser.add_argument(
        "--leave-one-out", action="store_true", help="pool without each study in turn"
    )
    parser.add_argument(
        "--cumulative", action="store_true", help="pool the first 1, 2, ... k studies"
    )
    parser.add_argument(
        "--bias",
        action="store_true",
        help="Egger's test, the rank correlation test and trim-and-fill",
    )
    parser.add_argument(
        "--funnel", metavar="FILE.svg", help="write the funnel plot (SVG) to this file"
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
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def _fail(message: str, code: int) -> int:
    return fail("meta", message, code)


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
        return _fail(f"--level must be between 0 and 100 (got {args.level:g})", EXIT_USAGE)
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
            warn("meta", f"{name}: {warning.message}")
        output = _analyse(args, frame, effects)
    except MetaInputError as error:
        count = len(error.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"error: {name}: {count} {noun} (rows count from 1 after the header):"]
        lines += [f"  {problem}" for problem in error.problems]
        return _fail("\n".join(lines), EXIT_INVALID_INPUT)
    except MetaConvergenceError as error:
        return _fail(f"error: {name}: {error}", EXIT_INVALID_INPUT)

    funnel = output.pop("_funnel_svg", None)
    if args.funnel and isinstance(funnel, str):
        try:
            Path(args.funnel).write_text(funnel, encoding="utf-8")
        except OSError as error:
            return _fail(f"error: cannot write {args.funnel}: {error.strerror or error}", EXIT_IO)
    print(json.dumps(output, indent=2))
    return EXIT_OK


def _kept_column(frame: pl.DataFrame, effects: EffectSizes, column: str) -> list[str]:
    """``column``'s cells for the studies that were kept, or :class:`MetaInputError`."""
    names = {name.strip(): name for name in frame.columns}
    if column not in names:
        raise MetaInputError([InputProblem(column=column, message="column not found in the file")])
    dropped = {study.row - 1 for study in effects.omitted}
    cells = frame.get_column(names[column]).to_list()
    kept = [(row, cell) for row, cell in enumerate(cells) if row not in dropped]
    problems = [
        InputProblem(row=row + 1, column=column, message="missing value")
        for row, cell in kept
        if cell is None or not str(cell).strip()
    ]
    if problems:
        raise MetaInputError(problems)
    return [str(cell).strip() for _, cell in kept]


def _moderator(cells: list[str]) -> list[float] | list[str]:
    try:
        return [float(cell) for cell in cells]
    except ValueError:
        return cells


def _analyse(args: argparse.Namespace, frame: pl.DataFrame, effects: EffectSizes) -> dict[str, Any]:
    from whatworks_analytics.meta.bias import egger_test, rank_correlation_test, trim_and_fill
    from whatworks_analytics.meta.binary import mantel_haenszel, peto
    from whatworks_analytics.meta.regression import meta_regression, subgroup_analysis
    from whatworks_analytics.meta.sensitivity import cumulative, leave_one_out

    level = args.level / 100.0
    options = {"method": args.method, "test": args.test, "level": level}
    if args.pooling == "mh":
        result = mantel_haenszel(effects, level=level)
    elif args.pooling == "peto":
        result = peto(effects, level=level)
    else:
        result = pool(effects, heterogeneity_ci=True, **options)
    output: dict[str, Any] = result.to_dict()
    if args.subgroup:
        groups = _kept_column(frame, effects, args.subgroup)
        output["subgroups"] = subgroup_analysis(effects, groups, **options).to_dict()
    if args.moderator:
        moderators = {
            column: _moderator(_kept_column(frame, effects, column)) for column in args.moderator
        }
        output["meta_regression"] = meta_regression(effects, moderators, **options).to_dict()
    if args.leave_one_out:
        output["leave_one_out"] = [row.to_dict() for row in leave_one_out(effects, **options)]
    if args.cumulative:
        output["cumulative"] = [row.to_dict() for row in cumulative(effects, **options)]
    if args.bias or args.funnel:
        pooled = result if args.pooling == "inverse-variance" else pool(effects, **options)
        egger = egger_test(effects, method=args.method, test=args.test, level=level)
        rank = rank_correlation_test(effects)
        filled = trim_and_fill(effects, method=args.method, level=level)
        output["publication_bias"] = {
            "egger": asdict(egger),
            "rank_correlation": asdict(rank),
            "trim_and_fill": {
                "k0": filled.k0,
                "se_k0": filled.se_k0,
                "side": filled.side,
                "estimator": filled.estimator,
                "filled_yi": list(filled.filled_yi),
                "filled_vi": list(filled.filled_vi),
                "result": filled.result.to_dict(),
            },
        }
        if args.funnel:
            from whatworks_analytics.meta.funnel import funnel_svg

            output["_funnel_svg"] = funnel_svg(
                effects, pooled, egger=egger, rank=rank, filled=filled, id_prefix="funnel"
            )
    return output
