"""``whatworks-analytics audit``: the fairness audit of a risk tool's scores, from a CSV file.

Prints the audit as JSON on standard output and, with ``--html``, writes the HTML report.
Problems are printed on standard error without a traceback; the exit codes are those of
:mod:`whatworks_analytics.cli` (1 invalid data, 2 wrong command line, 3 unreadable or
unwritable file).
"""

from __future__ import annotations

import argparse
from typing import Any

from whatworks_analytics.cli import (
    EXIT_INVALID_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    add_json_flag,
    fail,
)
from whatworks_analytics.fairness.audit import (
    ACTIONS,
    AuditConfig,
    AuditInputError,
    FlagRule,
    audit_csv,
)
from whatworks_analytics.fairness.bootstrap import BootstrapSettings
from whatworks_analytics.fairness.disparities import (
    Band,
    ReferenceRule,
    SizeRule,
    parse_reference_option,
)

__all__ = ["config_from_args", "register", "run"]

_PROG = "whatworks-analytics audit"

_EPILOG = """\
flagging:
  --threshold T      a row is flagged when its score >= T (0/1 scores: use 1)
  --top-percent P    the top P%% of rows by score are flagged: with k = ceil(P * n / 100),
                     every row scoring at least the k-th highest score is flagged, so rows
                     tied at the cut-off are all flagged and the flagged share may exceed P

references (per attribute, default the largest group):
  --reference ethnicity=White     a named group
  --reference ethnicity=largest   the largest group
  --reference ethnicity=lowest    per metric, the judgeable group with the lowest rate
  intersections are named "A & B", e.g. --reference "sex & ethnicity=F & White"

output: JSON with n, flagged, key_metrics and one entry per group with its confusion counts,
rates, disparity ratios and differences to the reference, within_band verdicts (null: not
judged) and too_small flag; "summaries": each attribute's demographic-parity and
equalised-odds differences and ratios (fairlearn's), over all groups and over the groups
large enough to judge; "scores": each group's ROC AUC, AUC difference to the reference and,
when the scores lie in [0, 1], its calibration (observed / expected, Brier score, the rates
in each tenth of the scores).  With --bootstrap every figure has a "_ci" or "ci" interval.
exit codes: 0 success, 1 invalid data, 2 wrong command line, 3 unreadable/unwritable file.
"""


def register(subparsers: Any) -> None:
    """Add the ``audit`` sub-command to the package's command line."""
    parser = subparsers.add_parser(
        "audit",
        help="audit a risk tool's scores for disparities between groups",
        description="Fairness audit of a risk tool: confusion-matrix rates by group, ratios "
        "to a reference group against a tolerance band.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scores", required=True, metavar="FILE.csv", help="the scored rows")
    parser.add_argument("--score", required=True, metavar="COL", help="the score column")
    parser.add_argument(
        "--risk-score",
        metavar="COL",
        help="the column of risk scores for ROC AUC and calibration by group, when --score "
        "holds flags (default: --score)",
    )
    parser.add_argument(
        "--label", required=True, metavar="COL", help="the observed outcome column (0/1)"
    )
    parser.add_argument(
        "--group",
        required=True,
        action="append",
        metavar="COL",
        help="a group column to audit (repeat for several)",
    )
    parser.add_argument("--threshold", type=float, metavar="T", help="flag when score >= T")
    parser.add_argument(
        "--top-percent", type=float, metavar="P", help="flag the top P%% of scores (0 < P <= 100)"
    )
    parser.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="ATTRIBUTE=GROUP",
        help="the reference group of an attribute: a group name, 'largest' or 'lowest'",
    )
    parser.add_argument(
        "--band", default="0.8-1.25", metavar="LOW-HIGH", help="tolerance band (0.8-1.25)"
    )
    parser.add_argument(
        "--min-group-size",
        type=int,
        default=SizeRule().min_group_size,
        metavar="N",
        help="groups with fewer rows are not judged (default %(default)s)",
    )
    parser.add_argument(
        "--min-denominator",
        type=int,
        default=SizeRule().min_denominator,
        metavar="N",
        help="rates over fewer rows (positives, negatives, flagged or unflagged) are not "
        "judged (default %(default)s)",
    )
    parser.add_argument(
        "--intersections",
        action="store_true",
        help="also audit every pair of group columns (cells below the minimum size omitted)",
    )
    parser.add_argument(
        "--action",
        choices=ACTIONS,
        help="what a flag triggers: punitive (FPR, FDR key) or assistive (FNR, FOR key)",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="B",
        help="add percentile bootstrap intervals from B replicates (default: none)",
    )
    parser.add_argument(
        "--confidence", type=float, default=0.95, help="interval level (default 0.95)"
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--html", metavar="OUT.html", help="also write the HTML report here")
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace) -> AuditConfig:
    """Build the audit configuration; raises ``ValueError`` with a message for the user."""
    problems: list[str] = []
    flag_rule: FlagRule | None = None
    band: Band | None = None
    size_rule: SizeRule | None = None
    bootstrap: BootstrapSettings | None = None
    try:
        flag_rule = FlagRule(threshold=args.threshold, top_percent=args.top_percent)
    except ValueError as error:
        problems.append(str(error))
    try:
        band = Band.parse(args.band)
    except ValueError as error:
        problems.append(f"--band: {error}")
    try:
        size_rule = SizeRule(
            min_group_size=args.min_group_size, min_denominator=args.min_denominator
        )
    except ValueError as error:
        problems.append(str(error))
    if args.bootstrap:
        try:
            bootstrap = BootstrapSettings(
                replicates=args.bootstrap, confidence=args.confidence, seed=args.seed
            )
        except ValueError as error:
            problems.append(str(error))
    references: dict[str, ReferenceRule] = {}
    for text in args.reference:
        try:
            attribute, rule = parse_reference_option(text)
        except ValueError as error:
            problems.append(str(error))
            continue
        if attribute in references:
            problems.append(f"--reference given twice for {attribute!r}")
        references[attribute] = rule
    if problems or flag_rule is None or band is None or size_rule is None:
        raise ValueError("\n".join(problems))
    return AuditConfig(
        score=args.score,
        label=args.label,
        groups=tuple(args.group),
        flag_rule=flag_rule,
        references=references,
        band=band,
        size_rule=size_rule,
        intersections=args.intersections,
        action=args.action,
        bootstrap=bootstrap,
        risk_score=args.risk_score,
    )


def _error(message: str) -> None:
    fail("audit", message, EXIT_INVALID_INPUT)


def run(args: argparse.Namespace) -> int:
    """Run the audit described by parsed arguments; returns the exit code."""
    try:
        config = config_from_args(args)
    except ValueError as error:
        _error(str(error))
        return EXIT_USAGE
    try:
        report = audit_csv(args.scores, config)
    except AuditInputError as error:
        _error("\n".join(error.problems))
        return EXIT_INVALID_INPUT
    except OSError as error:
        _error(f"cannot read {args.scores}: {error.strerror or error}")
        return EXIT_IO
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as handle:
                handle.write(report.to_html())
        except OSError as error:
            _error(f"cannot write {args.html}: {error.strerror or error}")
            return EXIT_IO
    print(report.to_json())
    return EXIT_OK
