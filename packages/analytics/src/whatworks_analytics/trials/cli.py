"""``whatworks-analytics power`` and ``whatworks-analytics trial``.

``power`` prints JSON for one of three questions:

* ``--design individual --mdes D --power P --alpha A`` -> ``{"n_per_arm": N, ...}`` (the
  whole number to recruit per arm; ``n_per_arm_exact`` is pwr.t.test's fractional root);
* ``--design individual --n-per-arm N --effect D --alpha A`` -> ``{"power": ...}``;
* ``--design cluster --clusters J --cluster-size N --icc R [--p-treated P] [--r2 R2]
  [--r2-individual R2] [--cluster-covariates G] --power P --alpha A`` -> ``{"mdes": ...}``.

``--sides 1`` makes the test one-sided (default 2).

``trial DATA.csv --arm COL --treatment VALUE --control VALUE --outcome COL [--covariate COL
...] [--cluster COL] [--block COL] [--level 0.95]`` analyses one outcome of a two-arm trial
and prints JSON: n, n_treatment, n_control, clusters, estimate, se, df, t, p, ci_low,
ci_high, se_type, hedges_g (with its interval), odds_ratio (binary outcomes), flow,
baseline, icc, mdes_at_randomisation and security (the padlock rating and its reasons;
``--mdes`` gives the registered MDES instead of the one computed from the randomised
sample, ``--threat TEXT`` names a threat to validity).

``trial-plan VERSION.json DATA.csv [--out BUNDLE.json]`` runs the trial analysis plan of a
registered protocol version (its JSON from the registry) and writes the bundle
(``whatworks_analytics.trials.bundle``) that the platform's results import checks;
``trial-check BUNDLE.json`` makes the platform's check (exit 1 listing every problem).

Invalid input prints every problem on its own line to stderr and exits with
``EXIT_INVALID_INPUT``; a file that cannot be read exits with ``EXIT_IO``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict
from typing import Any

from whatworks_analytics.cli import (
    EXIT_INVALID_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    add_json_flag,
    fail,
)

__all__ = ["register", "run_power", "run_trial", "run_trial_check", "run_trial_plan"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``power`` and ``trial`` sub-commands."""
    power = subparsers.add_parser(
        "power",
        help="sample size, power or minimum detectable effect of a two-arm trial",
        description="Power at registration, printed as JSON.",
        epilog="individual: --mdes D --power P (n per arm) or --n-per-arm N --effect D (power); "
        "cluster: --clusters J --cluster-size N --icc R --power P (mdes)",
    )
    power.add_argument("--design", required=True, choices=["individual", "cluster"])
    power.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    power.add_argument("--sides", type=int, choices=[1, 2], default=2, help="1 or 2 (default)")
    power.add_argument("--power", type=float, help="the power wanted, such as 0.8")
    power.add_argument("--mdes", type=float, help="individual: the effect to detect (SD units)")
    power.add_argument("--n-per-arm", type=float, help="individual: participants per arm")
    power.add_argument("--effect", type=float, help="individual: the effect (SD units)")
    power.add_argument("--clusters", type=int, help="cluster: number of clusters J")
    power.add_argument("--cluster-size", type=float, help="cluster: participants per cluster")
    power.add_argument("--icc", type=float, help="cluster: intra-cluster correlation")
    power.add_argument("--p-treated", type=float, default=0.5, help="share of clusters treated")
    power.add_argument("--r2", type=float, default=0.0, help="cluster-level covariate R²")
    power.add_argument("--r2-individual", type=float, default=0.0, help="participant-level R²")
    power.add_argument(
        "--cluster-covariates",
        type=int,
        default=None,
        help="cluster-level covariates g (df = J - g - 2; default 1 if --r2 > 0, else 0)",
    )
    add_json_flag(power)
    power.set_defaults(handler=run_power)

    trial = subparsers.add_parser(
        "trial",
        help="analyse one outcome of a two-arm randomised trial",
        description="Analyse one outcome of a two-arm randomised trial and print JSON.",
    )
    trial.add_argument("file", metavar="DATA.csv", help="one row per randomised participant")
    trial.add_argument("--arm", required=True, metavar="COL", help="the arm column")
    trial.add_argument("--treatment", required=True, metavar="VALUE", help="treatment arm value")
    trial.add_argument("--control", required=True, metavar="VALUE", help="control arm value")
    trial.add_argument("--outcome", required=True, metavar="COL", help="the outcome column")
    trial.add_argument("--covariate", action="append", default=[], metavar="COL", help="repeatable")
    trial.add_argument("--cluster", metavar="COL", help="the unit of randomisation (CR2)")
    trial.add_argument("--block", metavar="COL", help="blocks or strata (fixed effects)")
    trial.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    trial.add_argument("--outcome-type", choices=["auto", "continuous", "binary"], default="auto")
    trial.add_argument(
        "--alternative", choices=["two-sided", "greater", "less"], default="two-sided"
    )
    trial.add_argument(
        "--baseline",
        action="append",
        default=None,
        metavar="COL",
        help="baseline measures to check for equivalence (default: the covariates)",
    )
    trial.add_argument("--mdes", type=float, help="the registered MDES for the security rating")
    trial.add_argument(
        "--threat", action="append", default=[], metavar="TEXT", help="a threat to validity"
    )
    add_json_flag(trial)
    trial.set_defaults(handler=run_trial)

    planned = subparsers.add_parser(
        "trial-plan",
        help="run a registered trial analysis plan and write its bundle",
        description="Run the trial analysis plan of a registered protocol version on the "
        "trial's data, where the data live, and write the bundle the platform checks.",
    )
    planned.add_argument(
        "version", metavar="VERSION.json", help="the protocol version (/research/<id>/v<n>.json)"
    )
    planned.add_argument("file", metavar="DATA.csv", help="one row per randomised participant")
    planned.add_argument("--out", metavar="BUNDLE.json", help="write here (default: stdout)")
    add_json_flag(planned)
    planned.set_defaults(handler=run_trial_plan)

    check = subparsers.add_parser(
        "trial-check",
        help="check that a trial bundle's figures follow from its own numbers",
        description="Check a trial bundle as the platform does; exit 1 listing any problem.",
    )
    check.add_argument("bundle", metavar="BUNDLE.json")
    add_json_flag(check)
    check.set_defaults(handler=run_trial_check)


def _fail(command: str, problems: list[str], code: int) -> int:
    """Every problem on its own line, in the package's one form (``cli.fail``)."""
    return fail(command, "\n".join(problems), code)


def _clean(value: Any) -> Any:
    """JSON cannot hold NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _print(data: dict[str, Any]) -> None:
    print(json.dumps(_clean(data), indent=2, allow_nan=False))


def run_power(args: argparse.Namespace) -> int:
    """Handle ``power``; return an exit code."""
    from whatworks_analytics.trials.errors import PowerInputError
    from whatworks_analytics.trials.power import mdes_cluster, n_per_arm, power_individual

    try:
        if args.design == "individual":
            if args.mdes is not None and args.power is not None:
                size = n_per_arm(
                    effect=args.mdes, power=args.power, alpha=args.alpha, sides=args.sides
                )
                _print(
                    {
                        "n_per_arm": size.n,
                        "n_per_arm_exact": size.exact,
                        "achieved_power": size.achieved_power,
                        "mdes": args.mdes,
                        "power": args.power,
                        "alpha": args.alpha,
                        "sides": args.sides,
                    }
                )
                return EXIT_OK
            if args.n_per_arm is not None and args.effect is not None:
                value = power_individual(
                    n_per_arm=args.n_per_arm, effect=args.effect, alpha=args.alpha, sides=args.sides
                )
                _print(
                    {
                        "power": value,
                        "n_per_arm": args.n_per_arm,
                        "effect": args.effect,
                        "alpha": args.alpha,
                        "sides": args.sides,
                    }
                )
                return EXIT_OK
            return _fail(
                "power",
                [
                    "individual designs need --mdes and --power (sample per arm) "
                    "or --n-per-arm and --effect (power)"
                ],
                EXIT_USAGE,
            )
        missing = [
            f"--{name.replace('_', '-')}"
            for name in ("clusters", "cluster_size", "icc", "power")
            if getattr(args, name) is None
        ]
        if missing:
            return _fail("power", [f"cluster designs need {', '.join(missing)}"], EXIT_USAGE)
        result = mdes_cluster(
            clusters=args.clusters,
            cluster_size=args.cluster_size,
            icc=args.icc,
            power=args.power,
            alpha=args.alpha,
            p_treated=args.p_treated,
            r2_cluster=args.r2,
            r2_individual=args.r2_individual,
            cluster_covariates=args.cluster_covariates,
            sides=args.sides,
        )
    except PowerInputError as error:
        return _fail("power", list(error.problems), EXIT_INVALID_INPUT)
    _print({**asdict(result), "alpha": args.alpha, "power": args.power, "sides": args.sides})
    return EXIT_OK


def run_trial(args: argparse.Namespace) -> int:
    """Handle ``trial``; return an exit code."""
    import polars as pl

    from whatworks_analytics.trials.analysis import TrialSpec, analyse_trial
    from whatworks_analytics.trials.errors import TrialInputError
    from whatworks_analytics.trials.security import security_rating

    try:
        frame = pl.read_csv(
            sys.stdin.buffer if args.file == "-" else args.file,
            infer_schema_length=None,
            null_values=["", "NA"],
        )
    except (OSError, pl.exceptions.PolarsError) as error:
        return _fail("trial", [f"cannot read {args.file}: {error}"], EXIT_IO)
    spec = TrialSpec(
        arm=args.arm,
        treatment=args.treatment,
        control=args.control,
        outcome=args.outcome,
        covariates=tuple(args.covariate),
        cluster=args.cluster,
        block=args.block,
        level=args.level,
        outcome_type=args.outcome_type,
        alternative=args.alternative,
        baseline=tuple(args.baseline) if args.baseline is not None else None,
    )
    try:
        result = analyse_trial(frame, spec)
    except TrialInputError as error:
        return _fail("trial", list(error.problems), EXIT_INVALID_INPUT)
    rating = security_rating(
        mdes=args.mdes if args.mdes is not None else result.mdes_at_randomisation,
        attrition=result.flow.overall_attrition,
        baseline=result.baseline,
        threats=args.threat,
    )
    _print({**result.to_dict(), "security": asdict(rating)})
    return EXIT_OK


def _read_json(path: str) -> Any:
    from pathlib import Path

    return json.loads(Path(path).read_text(encoding="utf-8"))


def run_trial_plan(args: argparse.Namespace) -> int:
    """Handle ``trial-plan``; return an exit code."""
    import polars as pl

    from whatworks_analytics.trials.bundle import plan_from_version, read_data_csv, run_plan
    from whatworks_analytics.trials.errors import TrialInputError

    try:
        version = _read_json(args.version)
        frame = read_data_csv(args.file)
    except (OSError, ValueError, pl.exceptions.PolarsError) as error:
        return _fail("trial-plan", [f"cannot read the input: {error}"], EXIT_IO)
    try:
        plan, identity = plan_from_version(version)
        bundle = run_plan(plan, frame, **identity)
    except TrialInputError as error:
        return _fail("trial-plan", list(error.problems), EXIT_INVALID_INPUT)
    text = json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as error:
            return _fail("trial-plan", [f"cannot write {args.out}: {error}"], EXIT_IO)
    else:
        print(text)
    return EXIT_OK


def run_trial_check(args: argparse.Namespace) -> int:
    """Handle ``trial-check``; return an exit code."""
    from whatworks_analytics.trials.bundle import check_bundle

    try:
        bundle = _read_json(args.bundle)
    except (OSError, ValueError) as error:
        return _fail("trial-check", [f"cannot read {args.bundle}: {error}"], EXIT_IO)
    if not isinstance(bundle, dict):
        return _fail("trial-check", ["the bundle must be a JSON object"], EXIT_INVALID_INPUT)
    problems = check_bundle(bundle)
    if problems:
        return _fail("trial-check", problems, EXIT_INVALID_INPUT)
    print("the bundle's figures follow from its numbers")
    return EXIT_OK
