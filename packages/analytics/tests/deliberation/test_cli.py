"""``whatworks-analytics deliberation`` end to end through ``main([...])``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, EXIT_USAGE, main

REPO = Path(__file__).resolve().parents[4]
SEATTLE = REPO / ".." / "shared" / "data" / "external" / "polis" / "15-per-hour-seattle"
needs_seattle = pytest.mark.skipif(
    not (SEATTLE / "votes.csv").exists(),
    reason=f"the Pol.is 15-per-hour-seattle export is not at {SEATTLE}",
)
STATEMENT_KEYS = {"tid", "n_agree", "n_disagree", "n_seen"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["deliberation", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def synthetic_folder(folder: Path, *, seed: int = 1) -> Path:
    """A small two-camp conversation in the export layout, with a rejected comment."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    comments = ["timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"]
    for tid in range(12):
        moderated = -1 if tid == 11 else 1
        comments.append(f"{1000 + tid},,{tid},0,0,0,{moderated},Statement {tid}")
    votes = ["timestamp,datetime,comment-id,voter-id,vote"]
    t = 2000
    for pid in range(40):
        camp = 1 if pid < 25 else -1
        for tid in range(12):
            stance = camp if tid % 2 == 0 else -camp
            vote = stance if rng.random() < 0.85 else int(rng.choice([0, -stance]))
            votes.append(f"{t},,{tid},{pid},{vote}")
            t += 1
    (folder / "comments.csv").write_text("\n".join(comments) + "\n")
    (folder / "votes.csv").write_text("\n".join(votes) + "\n")
    participants = ["participant,group-id"] + [f"{p},{int(p >= 25)}" for p in range(40)]
    (folder / "participants-votes.csv").write_text("\n".join(participants) + "\n")
    return folder


def check_statement_lists(data: dict[str, Any]) -> None:
    assert set(data) == {"groups", "representative", "consensus", "group_informed_consensus"}
    for group in data["groups"]:
        assert set(group) == {"id", "members"}
    for items in data["representative"].values():
        for item in items:
            assert set(item) >= STATEMENT_KEYS | {"n_agree_other", "n_seen_other"}
    for side in ("agree", "disagree"):
        for item in data["consensus"][side]:
            assert set(item) >= STATEMENT_KEYS
    for item in data["group_informed_consensus"]:
        assert {"tid", "consensus", "groups"} <= set(item)
        for group in item["groups"]:
            assert set(group) >= {"group", "n_agree", "n_disagree", "n_seen"}


def test_synthetic_conversation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = synthetic_folder(tmp_path / "conv")
    code, out, err = run(capsys, str(folder), "--seed", "3")
    assert (code, err) == (EXIT_OK, "")
    data = json.loads(out)
    check_statement_lists(data)
    members = [sorted(g["members"]) for g in data["groups"]]
    assert members == [list(range(25)), list(range(25, 40))]
    mentioned = {i["tid"] for i in data["group_informed_consensus"]}
    assert 11 not in mentioned  # rejected
    assert len(mentioned) == 11


def test_same_seed_gives_identical_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(synthetic_folder(tmp_path / "conv"))
    first = run(capsys, folder, "--seed", "7")
    second = run(capsys, folder, "--seed", "7")
    assert first == second
    assert first[0] == EXIT_OK


def test_groups_from_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = synthetic_folder(tmp_path / "conv")
    code, out, _ = run(capsys, str(folder), "--groups-from-export")
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["groups"] == [
        {"id": 0, "members": list(range(25))},
        {"id": 1, "members": list(range(25, 40))},
    ]


@needs_seattle
def test_real_conversation_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(SEATTLE), "--seed", "0")
    assert (code, err) == (EXIT_OK, "")
    data = json.loads(out)
    check_statement_lists(data)
    assert len(data["groups"]) == 2
    again = run(capsys, str(SEATTLE), "--seed", "0")
    assert again[1] == out
    code, exported, _ = run(capsys, str(SEATTLE), "--groups-from-export")
    assert code == EXIT_OK
    groups = json.loads(exported)["groups"]
    assert [(g["id"], len(g["members"])) for g in groups] == [(0, 99), (1, 39)]


def test_bad_vote_is_reported_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = synthetic_folder(tmp_path / "conv")
    lines = (folder / "votes.csv").read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ",yes"
    (folder / "votes.csv").write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, str(folder))
    assert (code, out) == (EXIT_INVALID_INPUT, "")
    assert "votes.csv, row 3, column 'vote': is not a whole number" in err
    assert "Traceback" not in err


def test_missing_folder_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "nowhere"))
    assert code == EXIT_IO
    assert "nowhere: not a folder" in err
    folder = synthetic_folder(tmp_path / "conv")
    (folder / "votes.csv").unlink()
    code, _, err = run(capsys, str(folder))
    assert code == EXIT_IO
    assert "votes.csv" in err
    assert "Traceback" not in err


def test_groups_from_export_needs_the_participants_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = synthetic_folder(tmp_path / "conv")
    (folder / "participants-votes.csv").write_text("participant,group-id\n1,\n")
    code, _, err = run(capsys, str(folder), "--groups-from-export")
    assert code == EXIT_INVALID_INPUT
    assert "participants-votes.csv, column 'group-id': no participant has a group" in err
    (folder / "participants-votes.csv").unlink()
    code, _, err = run(capsys, str(folder), "--groups-from-export")
    assert code == EXIT_IO
    assert "needs participants-votes.csv" in err
    code, out, _ = run(capsys, str(folder))  # without the option the file is not needed
    assert code == EXIT_OK
    assert json.loads(out)["groups"]


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["deliberation"])
    assert caught.value.code == EXIT_USAGE
    with pytest.raises(SystemExit) as caught:
        main(["deliberation", "x", "--seed", "one"])
    assert caught.value.code == EXIT_USAGE
    capsys.readouterr()


def test_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(synthetic_folder(tmp_path / "conv"))
    code, out, err = run(capsys, folder, "--replay", "--updates", "4", "--json")
    assert (code, err) == (EXIT_OK, "")
    data = json.loads(out)
    check_statement_lists(data)
    assert [sorted(g["members"]) for g in data["groups"]] == [list(range(25)), list(range(25, 40))]
    assert run(capsys, folder, "--replay", "--updates", "4", "--json")[1] == out
    # the votes are one millisecond apart: one window of an hour is one update
    code, hourly, _ = run(capsys, folder, "--replay", "--update-every", "3600")
    assert code == EXIT_OK
    assert json.loads(hourly)["groups"] == data["groups"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--replay", "--updates", "0"], "argument --updates: must be at least 1"),
        (["--replay", "--update-every", "soon"], "argument --update-every: not a whole number"),
        (["--replay", "--updates", "2", "--update-every", "60"], "not allowed with argument"),
        (["--updates", "2"], "--update-every and --updates need --replay"),
        (["--replay", "--groups-from-export"], "--replay and --groups-from-export exclude"),
    ],
)
def test_replay_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    folder = str(synthetic_folder(tmp_path / "conv"))
    try:
        code = main(["deliberation", folder, *argv])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "whatworks-analytics deliberation: error: " in err
    assert message in err
