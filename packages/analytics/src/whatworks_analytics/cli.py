"""The ``whatworks-analytics`` command.

Each sub-command lives beside the code it drives, in a module that exposes
``register(subparsers)``; this module only assembles them.  Exit codes are shared by every
sub-command and documented here:

* 0 -- success;
* 1 -- the input was read but is invalid (validation problems are printed, all at once);
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

#: Modules that contribute sub-commands, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = ()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="whatworks-analytics",
        description="Statistics for evidence-informed children's social care.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    return int(handler(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
