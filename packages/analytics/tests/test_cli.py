"""One command-line convention for every sub-command of ``whatworks-analytics``."""

from __future__ import annotations

import argparse

import pytest

from whatworks_analytics import cli
from whatworks_analytics.errors import AnalyticsInputError, AnalyticsIOError


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_takes_json() -> None:
    commands = _subparsers()
    assert set(commands) == set(cli.COMMANDS)
    for name, parser in commands.items():
        flags = {flag for action in parser._actions for flag in action.option_strings}
        assert "--json" in flags, name


def test_an_error_from_the_library_is_printed_in_the_one_form_with_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from whatworks_analytics.deliberation import cli as deliberation_cli

    def refuse(args: argparse.Namespace) -> int:
        raise AnalyticsInputError(["votes.csv, row 3: vote must be -1, 0 or 1", "no comments"])

    monkeypatch.setattr(deliberation_cli, "run", refuse)
    assert cli.main(["deliberation", "somewhere"]) == cli.EXIT_INVALID_INPUT
    assert capsys.readouterr().err.splitlines() == [
        "whatworks-analytics deliberation: error: votes.csv, row 3: vote must be -1, 0 or 1",
        "whatworks-analytics deliberation: error: no comments",
    ]

    def unreadable(args: argparse.Namespace) -> int:
        raise AnalyticsIOError("cannot read somewhere: no such folder")

    monkeypatch.setattr(deliberation_cli, "run", unreadable)
    assert cli.main(["deliberation", "somewhere"]) == cli.EXIT_IO
    assert capsys.readouterr().err == (
        "whatworks-analytics deliberation: error: cannot read somewhere: no such folder\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["meta", "x.csv", "--measure", "RR", "--level", "0"],
        ["weight", "--sample", "x.csv", "--targets", "t.json", "--trim", "1"],
        [
            "audit",
            "--scores",
            "x.csv",
            "--score",
            "s",
            "--label",
            "y",
            "--group",
            "g",
            "--top-percent",
            "150",
        ],
        ["synth", "--out", "somewhere", "--referrals", "-3"],
        ["validate", "somewhere", "--max-per-kind", "0"],
        ["deliberation", "somewhere", "--replay", "--updates", "0"],
    ],
    ids=lambda argv: argv[0],
)
def test_an_option_value_out_of_its_range_exits_2_with_the_prefix(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse's own refusal (a type check) is the same code
        code = int(exit_.code or 0)
    assert code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f"whatworks-analytics {argv[0]}: error: " in err
    assert "Traceback" not in err
