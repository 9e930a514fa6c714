"""``whatworks-analytics weight``: rake a sample to target margins and print JSON.

``--sample FILE.csv`` has one row per respondent and a column per weighting variable (other
columns are ignored).  ``--targets FILE.json`` maps each variable to ``{level: share}``.
The output has ``weights`` (one per input row, in input order; mean 1, or summing to
``--population``), ``diagnostics`` (design_effect, effective_sample_size, iterations,
converged, max_margin_error, margin_of_error_95, ...) and ``margins`` (target, unweighted
and weighted share per level).

``--method`` chooses raking (default; ``--trim`` caps weights relative to their mean) or
calibration as R's ``survey::calibrate()``: ``linear``, ``logit`` or ``raking`` with
``--bounds LOWER,UPPER`` on the ratio of final to starting weights (``logit`` needs them).

Every problem (a target level with no respondents, a sample level without a target, a
missing value, shares that do not sum to 1) is printed on its own line to stderr, with exit
``EXIT_INVALID_INPUT``; a file that cannot be read exits with ``EXIT_IO``.  Weighting that
does not converge (the margins cannot be met within the cap or the bounds) still prints its
JSON, with ``"converged": false``, but says "warning: weighting did not converge ..." on
stderr and exits with ``EXIT_INVALID_INPUT``, so that a script cannot miss it.
"""

from __future__ import annotations

import argparse
import io
import json
import math
from pathlib import Path
from typing import Any

from whatworks_analytics.cli import (
    EXIT_INVALID_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    add_json_flag,
    fail,
    warn,
)

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``weight`` sub-command."""
    parser = subparsers.add_parser(
        "weight",
        help="rake survey weights to population margins",
        description="Rake a sample to target margins and print weights and diagnostics as JSON.",
        epilog='targets JSON: {"region": {"London": 0.16, ...}, "role": {...}}',
    )
    parser.add_argument("--sample", required=True, metavar="FILE.csv", help="respondents")
    parser.add_argument("--targets", required=True, metavar="FILE.json", help="target shares")
    parser.add_argument(
        "--trim",
        type=float,
        default=None,
        metavar="RATIO",
        help="cap weights at RATIO times the mean weight (RATIO > 1), raking again",
    )
    parser.add_argument(
        "--method",
        default="rake",
        choices=["rake", "linear", "logit", "raking"],
        help="rake (default, iterative proportional fitting) or calibration with the linear, "
        "logit or raking distance (survey::calibrate)",
    )
    parser.add_argument(
        "--bounds",
        type=_bounds,
        default=None,
        metavar="LOWER,UPPER",
        help="calibration only: keep final / starting weight within these (e.g. 0.5,3)",
    )
    parser.add_argument(
        "--population",
        type=float,
        default=None,
        metavar="N",
        help="make the weights sum to N (default: mean 1)",
    )
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def _bounds(text: str) -> tuple[float, float]:
    try:
        lower, upper = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LOWER,UPPER such as 0.5,3 (got {text!r})"
        ) from None
    return lower, upper


def _fail(message: str, code: int) -> int:
    return fail("weight", message, code)


def _option_problems(args: argparse.Namespace) -> list[str]:
    """Option values out of their range (a wrong command line, exit 2)."""
    problems = []
    if args.trim is not None and not (math.isfinite(args.trim) and args.trim > 1):
        problems.append(f"--trim must be a number above 1 (got {args.trim:g})")
    if args.population is not None and not (math.isfinite(args.population) and args.population > 0):
        problems.append(f"--population must be a positive number (got {args.population:g})")
    if args.bounds is not None and not args.bounds[0] < 1 < args.bounds[1]:
        lower, upper = args.bounds
        problems.append(f"--bounds must satisfy LOWER < 1 < UPPER (got {lower:g},{upper:g})")
    return problems


def _read_targets(path: str) -> dict[str, dict[str, float]]:
    data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("the targets must be a JSON object of {variable: {level: share}}")
    targets: dict[str, dict[str, float]] = {}
    for variable, shares in data.items():
        if not isinstance(shares, dict):
            raise ValueError(f"{variable}: expected an object of {{level: share}}")
        try:
            targets[str(variable)] = {str(k): float(v) for k, v in shares.items()}
        except (TypeError, ValueError):
            raise ValueError(f"{variable}: every share must be a number") from None
    return targets


def run(args: argparse.Namespace) -> int:
    """Handle ``weight``; return an exit code."""
    import polars as pl

    from whatworks_analytics.weighting.calibration import calibrate
    from whatworks_analytics.weighting.raking import WeightingError, rake

    if args.method == "rake" and args.bounds is not None:
        return _fail(
            "--bounds applies to calibration (--method linear, logit or raking)", EXIT_USAGE
        )
    if args.method != "rake" and args.trim is not None:
        return _fail("--trim applies to --method rake; calibration uses --bounds", EXIT_USAGE)
    if problems := _option_problems(args):
        return _fail("\n".join(problems), EXIT_USAGE)

    try:
        raw = Path(args.sample).read_bytes()
        targets = _read_targets(args.targets)
    except OSError as error:
        return _fail(f"error: cannot read {error.filename}: {error.strerror or error}", EXIT_IO)
    except (ValueError, UnicodeDecodeError) as error:
        return _fail(f"error: {args.targets}: {error}", EXIT_INVALID_INPUT)
    try:
        frame = pl.read_csv(io.BytesIO(raw), infer_schema=False) if raw.strip() else None
    except pl.exceptions.PolarsError as error:
        first = (str(error).strip().splitlines() or ["unknown"])[0]
        return _fail(
            f"error: {args.sample} is not a readable CSV file: {first}", EXIT_INVALID_INPUT
        )
    if frame is None or frame.height == 0:
        return _fail(f"error: {args.sample} has no rows", EXIT_INVALID_INPUT)
    missing = [name for name in targets if name not in frame.columns]
    if missing:
        lines = [f"error: {args.sample}: {len(missing)} problem(s):"]
        lines += [f"  {name}: no such column in the sample" for name in missing]
        return _fail("\n".join(lines), EXIT_INVALID_INPUT)
    sample = {name: frame[name].fill_null("").to_numpy() for name in targets}
    try:
        if args.method == "rake":
            result = rake(sample, targets, trim=args.trim, population=args.population)
        else:
            bounds = args.bounds if args.bounds is not None else (-math.inf, math.inf)
            result = calibrate(
                sample, targets, method=args.method, bounds=bounds, population=args.population
            )
    except WeightingError as error:
        lines = [f"error: {args.sample}: {len(error.problems)} problem(s):"]
        lines += [f"  {problem}" for problem in error.problems]
        return _fail("\n".join(lines), EXIT_INVALID_INPUT)
    print(json.dumps(result.to_dict(), indent=2))
    if not result.converged:
        for problem in result.problems:
            if problem.startswith("weighting did not converge"):
                warn("weight", f"{args.sample}: {problem}")
        return EXIT_INVALID_INPUT
    return EXIT_OK
