"""The ``whatworks-analytics`` command.

Each sub-command lives beside the code it drives, in a module that exposes
``register(subparsers)``; this module only assembles them.  Exit codes are shared by every
sub-command and documented here:

* 0 -- success;
* 1 -- the input was read but is invalid (validation problems are printed, all at once), or
  (``weight``) the weighting did not converge: its JSON is printed and a warning says so;
* 2 -- the command line itself is wrong: an unknown option, a missing one, or an option whose
  value is out of its range (``--level 150``, ``--trim 0.5``), as argparse does;
* 3 -- a file or folder could not be read or written.

Every message on standard error starts ``whatworks-analytics COMMAND: error:`` or
``whatworks-analytics COMMAND: warning:`` (argparse's own form), one problem per line, so
that a script can pick them out.  Every command takes ``--json``: ``validate``, ``synth``,
``run`` and ``report`` then print a JSON summary (and, on failure, a JSON object with
``error`` and ``problems``) instead of text; ``audit``, ``meta``, ``weight`` and
``deliberation`` always print JSON, and accept the flag for uniformity.  An
:class:`~whatworks_analytics.errors.AnalyticsError` that reaches :func:`main` is printed in
that form and exits with its ``exit_code``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from whatworks_analytics import __version__
from whatworks_analytics.errors import (
    EXIT_INVALID_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    AnalyticsError,
)

__all__ = [
    "EXIT_INVALID_INPUT",
    "EXIT_IO",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "add_json_flag",
    "build_parser",
    "fail",
    "main",
    "positive_int",
    "warn",
]

PROG = "whatworks-analytics"


def fail(command: str, message: str, code: int) -> int:
    """Print ``message`` on standard error, each line as ``PROG COMMAND: error: LINE``; return
    ``code``.  A leading ``error:`` on a line is not repeated."""
    for line in message.splitlines() or [""]:
        text = line.strip().removeprefix("error:").strip()
        print(f"{PROG} {command}: error: {text}", file=sys.stderr)
    return code


def warn(command: str, message: str) -> None:
    """Print ``message`` on standard error as ``PROG COMMAND: warning: MESSAGE``."""
    print(f"{PROG} {command}: warning: {message}", file=sys.stderr)


def positive_int(text: str) -> int:
    """An argparse ``type`` for a whole number of at least 1 (argparse then exits 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json`` for a command whose only output is JSON (accepted for uniformity)."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON on standard output (this command's only output; accepted so that "
        "every command takes --json)",
    )


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
    "power": "whatworks_analytics.trials.cli",
    "trial": "whatworks_analytics.trials.cli",
    "trial-plan": "whatworks_analytics.trials.cli",
    "trial-check": "whatworks_analytics.trials.cli",
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
    try:
        return int(handler(args))
    except AnalyticsError as error:
        lines = [str(problem) for problem in error.problems] or [str(error)]
        return fail(args.command, "\n".join(lines), error.exit_code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
