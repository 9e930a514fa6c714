"""``run`` and ``report`` end to end on a small synthetic dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, build_parser, main

CONFIG = {
    "config_version": 1,
    "name": "cli test",
    "models": [
        {"name": "baseline", "kind": "baseline"},
        {"name": "logistic", "kind": "logistic"},
        {"name": "lightgbm", "kind": "lightgbm", "params": {"n_estimators": 20}},
    ],
    "splits": {"n_splits": 2, "kfold": 2, "min_train_rows": 100},
    "operating_point": {"top_percent": 10},
    "fairness": {"action": "assistive", "min_group_size": 30},
    "bootstrap": {"replicates": 30},
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli-run")
    data = root / "data"
    argv = ["synth", "--referrals", "1500", "--years", "4", "--seed", "4", "--out", str(data)]
    assert main([*argv, "--quiet"]) == EXIT_OK
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    return config, data


def test_commands_are_registered() -> None:
    text = build_parser().format_help()
    assert "run" in text and "report" in text


def test_run_writes_bundle_and_report(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = folders
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["run", str(config), "--data", str(data), "--out", str(out), "--json"]) == EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["verdict"]["status"] in {
        "supports_use",
        "does_not_support_use",
        "inconclusive",
        "ethics_gate_not_passed",
    }
    assert sorted(p.name for p in out.iterdir()) == ["bundle.json", "report.html"]
    bundle = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["config_hash"] == summary["config_hash"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert bundle["verdict"]["sentence"].split(":")[0] in html

    # The same command again gives byte-identical files.
    again = tmp_path / "again"
    assert main(["run", str(config), "--data", str(data), "--out", str(again), "--quiet"]) == 0
    assert (again / "bundle.json").read_bytes() == (out / "bundle.json").read_bytes()
    assert (again / "report.html").read_bytes() == (out / "report.html").read_bytes()

    # `report` re-renders the same HTML from the bundle alone.
    rendered = tmp_path / "r.html"
    assert main(["report", str(out / "bundle.json"), "--out", str(rendered)]) == EXIT_OK
    assert rendered.read_bytes() == (out / "report.html").read_bytes()


def test_invalid_config_lists_every_problem_and_writes_nothing(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _config, data = folders
    bad = tmp_path / "bad.yaml"
    broken = dict(CONFIG, operating_point={}, success={"model": "nope"}, seed="x")
    bad.write_text(yaml.safe_dump(broken), encoding="utf-8")
    out = tmp_path / "out"
    capsys.readouterr()
    code = main(["run", str(bad), "--data", str(data), "--out", str(out), "--json"])
    assert code == EXIT_INVALID_INPUT
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert any(p.startswith("operating_point") for p in problems)
    assert any(p.startswith("success.model") for p in problems)
    assert any(p.startswith("seed") for p in problems)
    assert not out.exists()


def test_invalid_dataset(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = folders
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in data.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    (broken / "children.csv").write_text("", encoding="utf-8")
    out = tmp_path / "out"
    assert (
        main(["run", str(config), "--data", str(broken), "--out", str(out)]) == EXIT_INVALID_INPUT
    )
    assert "invalid dataset" in capsys.readouterr().err
    assert not out.exists()


def test_missing_files(folders: tuple[Path, Path], tmp_path: Path) -> None:
    config, data = folders
    out = tmp_path / "out"
    assert (
        main(["run", str(tmp_path / "none.yaml"), "--data", str(data), "--out", str(out)])
        == EXIT_IO
    )
    assert (
        main(["run", str(config), "--data", str(tmp_path / "none"), "--out", str(out)]) == EXIT_IO
    )
    assert main(["report", str(tmp_path / "none.json"), "--out", str(out / "r.html")]) == EXIT_IO


def test_report_rejects_an_invalid_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bundle.json"
    bad.write_text(json.dumps({"bundle_version": 1, "seed": "x"}), encoding="utf-8")
    out = tmp_path / "r.html"
    assert main(["report", str(bad), "--out", str(out)]) == EXIT_INVALID_INPUT
    assert "invalid bundle" in capsys.readouterr().err
    assert not out.exists()
