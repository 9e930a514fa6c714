"""The library as a library: typed, and its runtime free of test-only dependencies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import whatworks_analytics


def test_the_package_is_marked_typed() -> None:
    assert (Path(whatworks_analytics.__file__).parent / "py.typed").is_file()


def test_runtime_modules_do_not_import_fairlearn_or_statsmodels() -> None:
    # fairlearn and statsmodels are test dependencies only (pyproject's dev group).
    modules = [
        "whatworks_analytics.cli",
        "whatworks_analytics.meta",
        "whatworks_analytics.meta.cli",
        "whatworks_analytics.fairness",
        "whatworks_analytics.fairness.cli",
        "whatworks_analytics.pilots",
        "whatworks_analytics.pilots.cli",
        "whatworks_analytics.weighting",
        "whatworks_analytics.deliberation",
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('fairlearn', 'statsmodels'))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def test_the_suite_runs_the_docstring_examples() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[1]
    options = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]
    settings = options["ini_options"]
    assert "--doctest-modules" in settings["addopts"].split()
    assert "src" in settings["testpaths"]
    makefile = (root.parents[1] / "Makefile").read_text()
    assert "pytest packages/analytics -q" in makefile
