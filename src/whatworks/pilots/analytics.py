"""The one adapter between pilots and its neighbours: the pilot engine and the registry.

Everything the app needs from ``whatworks_analytics.pilots`` (config parsing and hashing,
dataset validation and loading, runs, the result bundle, the HTML report) and from the
registry (filling a results report) goes through this module, so that a change in their
APIs is fixed here only.  Data crosses as polars frames, plain dicts and strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from pydantic import ValidationError

import whatworks_analytics.pilots.report as engine_report
from whatworks_analytics.pilots.bundle import ResultBundle, bundle_json, load_bundle
from whatworks_analytics.pilots.config import ConfigError, config_hash, parse_config
from whatworks_analytics.pilots.run import run as engine_run
from whatworks_analytics.pilots.schema import CONTRACT, ColumnKind
from whatworks_analytics.pilots.validate import (
    DatasetReadError,
    PilotDataset,
    Problem,
    ProblemKind,
    read_dataset,
)
from whatworks_analytics.pilots.vocabulary import vocabulary_problems

#: File names a dataset may hold: each contract table as CSV or Parquet.
TABLE_NAMES: tuple[str, ...] = tuple(CONTRACT.table_names)
SUFFIXES = (".csv", ".parquet")


class EngineProblems(Exception):
    """The engine refused the input; ``problems`` lists every reason, in its words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- config ----------------------------------------------------------------------------


def config_parse(text: str) -> tuple[dict[str, Any], str]:
    """Parse the YAML config; return its normalised form and canonical hash."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise EngineProblems([f"{where}the config is not valid YAML."]) from None
    return config_from_mapping(raw)


def config_from_mapping(raw: Any) -> tuple[dict[str, Any], str]:
    try:
        config = parse_config(raw)
    except ConfigError as exc:
        raise EngineProblems([str(p) for p in exc.problems]) from None
    return config.to_dict(), config_hash(config)


# --- datasets --------------------------------------------------------------------------


def id_columns() -> dict[str, list[str]]:
    """The identifier columns of every contract table (all are pseudonymised)."""
    return {
        table.name: [c.name for c in table.columns if c.kind == ColumnKind.ID]
        for table in CONTRACT.tables
    }


def dataset_read(folder: Path) -> dict[str, pl.DataFrame]:
    """Validate a folder of contract files; typed frames, or every problem at once."""
    try:
        report, dataset = read_dataset(folder)
    except DatasetReadError as exc:
        raise EngineProblems([str(exc)]) from None
    if dataset is None:
        problems = [_withheld(p) for p in report.problems]
        if report.omitted:
            problems.append(f"… and {report.omitted:,} more problems of the same kinds.")
        raise EngineProblems(problems or ["The dataset is not valid."])
    return dict(dataset.tables())


#: Problems whose quoted values are identifiers (or may quote a raw line of a file).
_ID_KINDS = frozenset(
    {
        ProblemKind.DUPLICATE_ID,
        ProblemKind.MISSING_REFERENCE,
        ProblemKind.OTHER_CHILD,
        ProblemKind.AFTER_NFA,
        ProblemKind.OVERLAP,
        ProblemKind.DATE_ORDER,
        ProblemKind.UNREADABLE,
        ProblemKind.RAGGED_LINE,
    }
)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _withheld(problem: Problem) -> str:
    """A problem's line with identifier values withheld: the file, row and column say
    where it is, and the message can be stored and shown without a raw child id."""
    text = problem.render()
    columns = {c for cols in id_columns().values() for c in cols}
    if problem.kind in _ID_KINDS or problem.column in columns:
        text = _QUOTED.sub("(value withheld)", text)
    return text


def dataset_write(frames: dict[str, pl.DataFrame], folder: Path) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=False)
    for name, frame in frames.items():
        frame.write_parquet(folder / f"{name}.parquet")
    return {name: frame.height for name, frame in frames.items()}


def dataset_load(folder: Path) -> PilotDataset:
    frames = {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLE_NAMES}
    return PilotDataset.from_frames(frames, source=folder)


# --- runs and bundles ------------------------------------------------------------------


def run_pilot(
    *, config: dict[str, Any], folder: Path, progress: Callable[[str, float], None]
) -> tuple[dict[str, Any], str]:
    """Run the engine on a stored dataset; the bundle as JSON-ready data and its hash."""
    parsed = parse_config(config)
    result = engine_run(parsed, dataset_load(folder), progress=progress)
    return json.loads(bundle_json(result.bundle)), result.bundle.config_hash


@dataclass(frozen=True)
class CheckedBundle:
    data: dict[str, Any]
    config_hash: str
    verdict_status: str
    verdict_sentence: str


def bundle_check(text: str | bytes, *, expected_hash: str) -> CheckedBundle:
    """Validate bundle JSON against the engine's schema and the registered config hash.

    The hash is checked twice: the one the bundle states, and one recomputed from the
    config the bundle carries, so that editing the config inside a bundle is caught.
    """
    try:
        bundle = load_bundle(text.decode("utf-8") if isinstance(text, bytes) else text)
    except UnicodeDecodeError:
        raise EngineProblems(["The file is not UTF-8 text."]) from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:50]:
            where = ".".join(str(p) for p in error["loc"]) or "bundle"
            problems.append(f"{where}: {error['msg']}")
        raise EngineProblems(problems) from None
    # Names with a closed vocabulary (models, metrics, attributes, groups...) must be in it.
    problems = vocabulary_problems(bundle)
    if bundle.config_hash != expected_hash:
        problems.append(
            "The bundle's config hash does not match the registered config: it was run with "
            "a different experiment config."
        )
    try:
        _, recomputed = config_from_mapping(bundle.config)
    except EngineProblems as exc:
        problems.extend(f"config: {p}" for p in exc.problems)
    else:
        if recomputed != bundle.config_hash:
            problems.append("The bundle's config does not match its own hash: it was altered.")
    if problems:
        raise EngineProblems(problems)
    return CheckedBundle(
        data=json.loads(bundle_json(bundle)),
        config_hash=bundle.config_hash,
        verdict_status=bundle.verdict.status,
        verdict_sentence=bundle.verdict.sentence,
    )


def _bundle(data: dict[str, Any]) -> ResultBundle:
    return ResultBundle.model_validate(data)


def report_html(data: dict[str, Any]) -> str:
    """The engine's self-contained HTML report (for download)."""
    return engine_report.render_report(_bundle(data))


def report_sections(data: dict[str, Any]) -> dict[str, str]:
    """The engine's report sections as HTML fragments, for the report page.

    The engine escapes every value it writes; its SVG plots carry no inline styles.
    """
    sections = engine_report.report_sections(_bundle(data))
    return {
        "verdict": sections.verdict,
        "metrics": sections.metrics,
        "fairness": sections.fairness,
        "subgroups": sections.circumstances,
        "ethics": sections.ethics,
        "plots": sections.plots,
        "provenance": sections.provenance,
    }


def verdict_summary(data: dict[str, Any]) -> dict[str, Any]:
    """Aggregates for the Centre's view: the verdict against each criterion."""
    verdict = data.get("verdict") or {}
    return {
        "status": verdict.get("status", ""),
        "sentence": verdict.get("sentence", ""),
        "model": verdict.get("model", ""),
        "success": verdict.get("success", ""),
        "fairness": verdict.get("fairness", ""),
        "ethics_passed": verdict.get("ethics_passed"),
        "criteria": [
            {"text": c.get("text", ""), "judgement": c.get("judgement", "")}
            for c in verdict.get("criteria", [])
        ],
    }


# --- the registry ----------------------------------------------------------------------


def registry_bundle(
    data: dict[str, Any], *, project_reference: str, protocol_number: int
) -> dict[str, Any]:
    """The registry's result bundle (``docs/results-bundle.md``) from a pilot's bundle.

    Each pre-registered criterion's metric becomes a named metric of the success model's
    pooled temporal result, under the outcome key ``escalation``.
    """
    verdict = data.get("verdict") or {}
    metrics: dict[str, float] = {}
    for criterion in verdict.get("criteria", []):
        value = (criterion.get("estimate") or {}).get("value")
        if value is not None:
            metrics[str(criterion["metric"])] = float(value)
    return {
        "schema": "whatworks.results/1",
        "project": project_reference,
        "protocol_version": protocol_number,
        "summary": str(verdict.get("sentence", ""))[:5000],
        "results": [
            {
                "outcome": "escalation",
                "metrics": metrics or {"n": float(data.get("cohort", {}).get("observable", 0))},
                "note": f"Model {verdict.get('model', '')}; pooled temporal test periods.",
            }
        ],
    }


def registry_fill_results(*, actor: Any, project: Any, bundle: dict[str, Any]) -> Any:
    """Fill the project's draft results report through the registry's own service."""
    from whatworks.registry.services import RegistryError, results_import_bundle

    try:
        return results_import_bundle(actor=actor, project=project, bundle=bundle)
    except RegistryError as exc:
        raise EngineProblems(exc.messages) from None


def protocol_versions(project: Any) -> list[Any]:
    """The project's registered protocol versions, newest first."""
    return list(project.versions.order_by("-number"))
