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
With ``--replay`` the groups come from replaying the timestamped votes through Pol.is's
successive updates (:mod:`.replay`), one update per ``--update-every`` seconds of the log
(default 600) or ``--updates N`` equal batches.

Problems in the files are printed to stderr, one per line with file, row (counting data rows
from 1 under the header) and column, with exit code ``EXIT_INVALID_INPUT``; a folder or file
that cannot be read exits with ``EXIT_IO``.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from whatworks_analytics.cli import (
    EXIT_INVALID_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    add_json_flag,
    fail,
    positive_int,
)

if TYPE_CHECKING:
    from whatworks_analytics.deliberation.groups import GroupResult
    from whatworks_analytics.deliberation.matrix import VoteMatrix
    from whatworks_analytics.deliberation.polis_io import PolisExport

__all__ = ["DEFAULT_REPLAY_SECONDS", "register", "run"]

#: The replay's default update window (see replay.py and docs/adr/0010-polis-replay.md).
DEFAULT_REPLAY_SECONDS = 600


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
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="seed for k-means, or with --replay for the first PCA start (default: 0)",
    )
    parser.add_argument(
        "--replay",
        action="store_true",
        help="find the groups by replaying the votes in time order through Pol.is's "
        "stateful updates",
    )
    schedule = parser.add_mutually_exclusive_group()
    schedule.add_argument(
        "--update-every",
        type=positive_int,
        default=None,
        metavar="SECONDS",
        help=f"with --replay: one update per window of this many seconds of the vote log "
        f"(default: {DEFAULT_REPLAY_SECONDS})",
    )
    schedule.add_argument(
        "--updates",
        type=positive_int,
        default=None,
        metavar="N",
        help="with --replay: N updates over batches of equal numbers of votes",
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
    if args.replay and args.groups_from_export:
        return _fail("error: --replay and --groups-from-export exclude each other", EXIT_USAGE)
    if not args.replay and (args.update_every is not None or args.updates is not None):
        return _fail("error: --update-every and --updates need --replay", EXIT_USAGE)
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
        grouping = _replayed(export, matrix, args) if args.replay else None
        result = analyse(matrix, seed=args.seed, groups=groups, grouping=grouping)
    except DeliberationInputError as error:
        return _fail(_problems(folder, error.problems), EXIT_INVALID_INPUT)
    print(json.dumps(result.to_dict(), indent=2))
    return EXIT_OK


def _replayed(export: PolisExport, matrix: VoteMatrix, args: argparse.Namespace) -> GroupResult:
    from whatworks_analytics.deliberation.replay import replay_export

    every = DEFAULT_REPLAY_SECONDS if args.update_every is None else args.update_every
    return replay_export(
        export,
        matrix=matrix,
        interval_ms=None if args.updates is not None else every * 1000,
        n_updates=args.updates,
        seed=args.seed,
    )


def _problems(folder: str, problems: tuple[str, ...]) -> str:
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    lines = [f"error: {folder}: {count} {noun} (rows count from 1 after the header):"]
    lines += [f"  {problem}" for problem in problems]
    return "\n".join(lines)
