"""The ``validate`` and ``synth`` sub-commands and their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from whatworks_analytics.cli import (
    EXIT_INVALID_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    build_parser,
    main,
)
from whatworks_analytics.pilots.schema import CONTRACT


@pytest.fixture(scope="module")
def valid_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "pilot"
    assert (
        main(
            [
                "synth",
                "--referrals",
                "800",
                "--years",
                "2",
                "--seed",
                "3",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == EXIT_OK
    )
    return out


def test_commands_are_registered() -> None:
    help_text = build_parser().format_help()
    assert "validate" in help_text and "synth" in help_text


def test_validate_valid(valid_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["validate", str(valid_folder)]) == EXIT_OK
    assert "valid pilot dataset" in capsys.readouterr().out


def test_validate_invalid_prints_every_problem(
    valid_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in CONTRACT.table_names:
        (broken / f"{name}.csv").write_bytes((valid_folder / f"{name}.csv").read_bytes())
    text = (broken / "referrals.csv").read_text().splitlines()
    text[1] = text[1].rsplit(",", 1)[0] + ",perhaps"
    fields = text[2].split(",")
    text[2] = ",".join([fields[0], "", *fields[2:]])
    (broken / "referrals.csv").write_text("\n".join(text) + "\n")
    (broken / "looked_after_episodes.csv").unlink()
    capsys.readouterr()
    assert main(["validate", str(broken)]) == EXIT_INVALID_INPUT
    out = capsys.readouterr().out
    assert "3 problems found" in out
    assert "referrals.csv, data row 1 (line 2), column nfa: not true or false: 'perhaps'" in out
    assert "referrals.csv, data row 2 (line 3), column child_id: missing value" in out
    assert "looked_after_episodes: missing table" in out

    assert main(["validate", str(broken), "--json"]) == EXIT_INVALID_INPUT
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False and data["total"] == 3
    assert {p["kind"] for p in data["problems"]} == {"bad_value", "missing_value", "missing_table"}


def test_validate_json_when_valid(valid_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["validate", str(valid_folder), "--json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is True and data["problems"] == []


def test_validate_unreadable_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "absent")]) == EXIT_IO
    assert "no such folder" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "absent"), "--json"]) == EXIT_IO
    assert "no such folder" in json.loads(capsys.readouterr().out)["error"]


def test_synth_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pq"
    assert (
        main(
            [
                "synth",
                "--referrals",
                "500",
                "--years",
                "2",
                "--seed",
                "1",
                "--out",
                str(out),
                "--format",
                "parquet",
                "--bias-against",
                "sex=female",
                "--practice-change",
                "2016-01-01",
                "--json",
            ]
        )
        == EXIT_OK
    )
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["row_counts"]["referrals"] == 500
    assert summary["format"] == "parquet"
    assert summary["config"]["bias_against"] == "sex=female"
    assert summary["config"]["practice_change"] == "2016-01-01"
    assert captured.err == ""  # no progress bar when stderr is not a terminal
    assert (out / "referrals.parquet").exists()


def test_synth_refuses_a_non_empty_folder(
    valid_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in valid_folder.iterdir())
    assert main(["synth", "--referrals", "10", "--out", str(valid_folder)]) == EXIT_IO
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in valid_folder.iterdir()) == before


def test_synth_inconsistent_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "synth",
                "--years",
                "1",
                "--practice-change",
                "2030-01-01",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == EXIT_USAGE
    )
    assert "practice_change" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["synth", "--out", "x", "--bias-against", "purple"],
        ["synth", "--out", "x", "--referrals", "0"],
        ["synth", "--out", "x", "--practice-change", "01/02/2018"],
        ["synth", "--out", "x", "--format", "xlsx"],
        ["synth"],
        ["validate"],
        ["validate", "x", "--max-per-kind", "0"],
    ],
)
def test_bad_command_lines_exit_2(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(arguments)
    assert caught.value.code == EXIT_USAGE
    capsys.readouterr()
