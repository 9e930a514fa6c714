"""The ``whatworks-analytics`` command.

Each sub-command lives beside the code it drives, in a module that exposes
``register(subparsers)``; this module only assembles them.  Exit codes are shared by every
sub-command and documented here:

* 0 -- success;
* 1 -- the input was read but is invalid (validation problems are printed, all at once), or
  (``weight``) the weighting did not converge: its JSON is printed and a warning says so;
* 2 -- the command line itself is wrong (argparse's own convention);
* 3 -- a file or folder could not be read or written.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from whatworks_analytics import __version__

EXIT_OK = 0
EXIT_INVALID_INPUT = 1
EXIT_USAGE = 2
EXIT_IO = 3

#: Each sub-command and the module that defines it.  Only the module of the command being
#: run is imported, so that ``audit`` does not pay for matplotlib and ``--help`` still
#: lists everything.
COMMANDS: dict[str, str] = {
    "validate": "whatworks_analytics.pilots.cli",
    "synth": "whatworks_analytics.pilots.cli",
    "run": "whatworks_analytics.pilots.cli",
    "report": "whatworks_analytics.pilots.cli",
    "score": "whatworks_analytics.pilots.cli",
    "evaluate": "whatworks_analytics.pilots.cli",
    "audit": "whatworks_analytics.fairness.cli",
    "meta": "whatworks_analytics.meta.cli",
    "weight": "whatworks_analytics.weighting.cli",
    "deliberation": "whatworks_analytics.deliberation.cli",
}
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every sub-command, or only ``command``'s module when it is known."""
    parser = argparse.ArgumentParser(
        prog="whatworks-analytics",
        description="Statistics for evidence-informed children's social care.",
        epilog="exit codes: 0 success; 1 invalid input (every problem is listed); "
        "2 wrong command line; 3 a file or folder could not be read or written.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = (COMMANDS[command],) if command in COMMANDS else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    first = next((arg for arg in arguments if not arg.startswith("-")), None)
    parser = build_parser(first)
    args = parser.parse_args(arguments)
    handler = args.handler
    return int(handler(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
