"""``whatworks-analytics deliberation``: opinion groups of a Pol.is export folder, as JSON.

Reads ``comments.csv`` and ``votes.csv`` (and, with ``--groups-from-export``,
``participants-votes.csv``) from DIR and prints::

    {"groups": [{"id", "members"}],
     "representative": {group id: [statements]},
     "consensus": {"agree": [statements], "disagree": [statements]},
     "group_informed_consensus": [statements]}

every list best first, each statement with its ``tid`` and the counts behind its score.
Rejected (``moderated`` = -1) and meta comments are left out.  With ``--groups-from-export``
the ``group-id`` column of participants-votes.csv gives the groups instead of clustering.

Problems in the files are printed to stderr, one per line with file, row (counting data rows
from 1 under the header) and column, with exit code ``EXIT_INVALID_INPUT``; a folder or file
that cannot be read exits with ``EXIT_IO``.
"""

from __future__ import annotations

import argparse
import json

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, add_json_flag, fail

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``deliberation`` sub-command."""
    parser = subparsers.add_parser(
        "deliberation",
        help="opinion groups, representative and consensus statements of a Pol.is export",
        description=(
            "Analyse a Pol.is export folder (comments.csv, votes.csv, participants-votes.csv) "
            "the way Pol.is does and print the result as JSON."
        ),
    )
    parser.add_argument("directory", metavar="DIR", help="Pol.is export folder")
    parser.add_argument(
        "--groups-from-export",
        action="store_true",
        help="take the groups from the group-id column of participants-votes.csv",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="seed for k-means (default: 0)"
    )
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def _fail(message: str, code: int) -> int:
    return fail("deliberation", message, code)


def run(args: argparse.Namespace) -> int:
    """Handle ``deliberation``: read, analyse, print JSON; return an exit code."""
    from whatworks_analytics.deliberation.matrix import DeliberationInputError
    from whatworks_analytics.deliberation.polis_io import read_export
    from whatworks_analytics.deliberation.repness import analyse

    folder = str(args.directory)
    try:
        export = read_export(folder)
    except OSError as error:
        reason = error.strerror or str(error)
        where = f" {error.filename}" if error.filename else ""
        return _fail(f"error: cannot read{where}: {reason}", EXIT_IO)
    except DeliberationInputError as error:
        return _fail(_problems(folder, error.problems), EXIT_INVALID_INPUT)

    if args.groups_from_export and not export.has_groups:
        return _fail(f"error: {folder}: --groups-from-export needs participants-votes.csv", EXIT_IO)
    if args.groups_from_export and not export.groups:
        return _fail(
            f"error: {folder}: participants-votes.csv, column 'group-id': no participant has a "
            "group",
            EXIT_INVALID_INPUT,
        )
    try:
        matrix = export.matrix()
        groups = export.groups if args.groups_from_export else None
        result = analyse(matrix, seed=args.seed, groups=groups)
    except DeliberationInputError as error:
        return _fail(_problems(folder, error.problems), EXIT_INVALID_INPUT)
    print(json.dumps(result.to_dict(), indent=2))
    return EXIT_OK


def _problems(folder: str, problems: tuple[str, ...]) -> str:
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    lines = [f"error: {folder}: {count} {noun} (rows count from 1 after the header):"]
    lines += [f"  {problem}" for problem in problems]
    return "\n".join(lines)
