"""The one adapter between pilots and its neighbours: the pilot engine and the registry.

Everything the app needs from ``whatworks_analytics.pilots`` (config parsing and hashing,
dataset validation and loading, runs, the result bundle, the HTML report) and from the
registry (filling a results report) goes through this module, so that a change in their
APIs is fixed here only.  Data crosses as polars frames, plain dicts and strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from django.db.models import QuerySet
from django.utils.translation import gettext
from pydantic import ValidationError

import whatworks_analytics.pilots.report as engine_report
from whatworks_analytics.pilots.bundle import (
    EthicsModel,
    ResultBundle,
    VerdictModel,
    bundle_json,
    data_fingerprint,
    load_bundle,
)
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
from whatworks_analytics.pilots.verify import check_bundle
from whatworks_analytics.pilots.vocabulary import vocabulary_problems

#: File names a dataset may hold: each contract table as CSV or Parquet.
TABLE_NAMES: tuple[str, ...] = tuple(CONTRACT.table_names)
SUFFIXES = (".csv", ".parquet")


class EngineProblems(Exception):
    """The engine refused the input; ``problems`` lists every reason, in its words."""

    def __init__(self, problems: list[str], *, dropped: list[str] | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        #: Columns the data contract does not know, dropped (one line per file).
        self.dropped = dropped or []


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
    return dataset_read_checked(folder)[0]


def dataset_read_checked(folder: Path) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """As :func:`dataset_read`, with a line per file naming the columns the contract does
    not know, which were dropped (and which of them look like personal details)."""
    try:
        report, dataset = read_dataset(folder)
    except DatasetReadError as exc:
        raise EngineProblems([str(exc)]) from None
    dropped = report.dropped_lines()
    if dataset is None:
        problems = [_withheld(p) for p in report.problems]
        if report.omitted:
            problems.append(
                gettext("… and %(omitted)s more problems of the same kinds.")
                % {"omitted": format(report.omitted, ",")}
            )
        raise EngineProblems(problems or ["The dataset is not valid."], dropped=dropped)
    return dict(dataset.tables()), dropped


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


def dataset_fingerprint(frames: dict[str, pl.DataFrame]) -> str:
    """The engine's data fingerprint of validated frames (take it before pseudonymising)."""
    return data_fingerprint(PilotDataset.from_frames(frames, source=None))


def dataset_load(folder: Path) -> PilotDataset:
    frames = {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLE_NAMES}
    return PilotDataset.from_frames(frames, source=folder)


# --- runs and bundles ------------------------------------------------------------------


def run_pilot(
    *,
    config: dict[str, Any],
    folder: Path,
    progress: Callable[[str, float], None],
    fingerprint: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Run the engine on a stored dataset; the bundle as JSON-ready data and its hash.

    ``fingerprint`` is the dataset's fingerprint taken on the upload before its identifiers
    were pseudonymised, so that the bundle shows the one an offline run of the same files
    shows.
    """
    parsed = parse_config(config)
    result = engine_run(
        parsed, dataset_load(folder), progress=progress, fingerprint=fingerprint or None
    )
    return json.loads(bundle_json(result.bundle)), result.bundle.config_hash


# --- the shadow phase: a frozen model scores later extracts ------------------------------


def _shadow_problems(exc: Exception) -> EngineProblems:
    return EngineProblems([str(p) for p in getattr(exc, "problems", ())] or [str(exc)])


def shadow_freeze(
    *,
    config: dict[str, Any],
    dataset_folder: Path,
    bundle: dict[str, Any],
    fingerprint: str,
    model_folder: Path,
) -> dict[str, Any]:
    """Freeze the config's primary model on a stored dataset (the run's) into
    ``model_folder`` (0700, files 0600), as ``whatworks-analytics run --save-model`` does;
    return its ``model.json`` (aggregates only)."""
    from whatworks_analytics.errors import AnalyticsInputError
    from whatworks_analytics.pilots.shadow import freeze, write_model

    try:
        payload, meta = freeze(
            parse_config(config),
            dataset_load(dataset_folder),
            _bundle(bundle),
            fingerprint=fingerprint or None,
        )
    except AnalyticsInputError as exc:
        raise _shadow_problems(exc) from None
    write_model(model_folder, payload, meta)
    return meta


#: The columns of a scores file (``whatworks_analytics.pilots.shadow.score_referrals``).
SCORE_COLUMNS = ("referral_id", "decision_date", "score", "flag", "model")


def shadow_score(*, model_folder: Path, dataset_folder: Path, out: Path) -> dict[str, Any]:
    """Score the referrals of a later stored extract made on or after the model's label
    end, from facts dated before each, as ``whatworks-analytics score`` does; write them to
    ``out`` (Parquet, 0600: child-level data) and return the counts."""
    import os

    from whatworks_analytics.errors import AnalyticsInputError
    from whatworks_analytics.pilots.shadow import load_model, score_referrals

    try:
        frozen = load_model(model_folder)
        scores = score_referrals(frozen, dataset_load(dataset_folder))
    except AnalyticsInputError as exc:
        raise _shadow_problems(exc) from None
    partial = out.with_name(f".{out.name}.tmp")
    scores.write_parquet(partial)
    os.chmod(partial, 0o600)
    os.replace(partial, out)
    dates = scores["decision_date"]
    return {
        "scored": scores.height,
        "flagged": int(scores["flag"].sum()),
        "first_referral": dates.min() if scores.height else None,
        "last_referral": dates.max() if scores.height else None,
    }


def shadow_scores_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    """The rows of a scores file in :data:`SCORE_COLUMNS` order: the referrals'
    pseudonymised ids (the stored datasets hold no other), never any other column."""
    return pl.read_parquet(path).select(SCORE_COLUMNS).iter_rows()


def shadow_evaluate(
    *, model_folder: Path, scores_path: Path, dataset_folder: Path
) -> dict[str, Any]:
    """The forward evaluation of recorded scores from a still later stored extract (the
    outcomes), as ``whatworks-analytics evaluate`` does: aggregates only."""
    from whatworks_analytics.errors import AnalyticsInputError
    from whatworks_analytics.pilots.shadow import ShadowError, evaluate_forward, load_model

    try:
        frozen = load_model(model_folder)
        scores = pl.read_parquet(scores_path).select(SCORE_COLUMNS)
        other = scores.filter(pl.col("model") != frozen.short_id).height
        if other:
            raise ShadowError([f"{other:,} scores were made by another model"])
        forward: dict[str, Any] = evaluate_forward(frozen, scores, dataset_load(dataset_folder))
    except AnalyticsInputError as exc:
        raise _shadow_problems(exc) from None
    return forward


@dataclass(frozen=True)
class CheckedBundle:
    data: dict[str, Any]
    config_hash: str
    verdict_status: str
    verdict_sentence: str


def bundle_check(text: str | bytes, *, expected_hash: str) -> CheckedBundle:
    """Validate bundle JSON against the engine's schema and the registered config hash,
    then take nothing derivable on trust (``whatworks_analytics.pilots.verify``).

    The hash is checked twice: the one the bundle states, and one recomputed from the
    config the bundle carries, so that editing the config inside a bundle is caught.
    Every figure that follows from the bundle's counts is computed again and must agree;
    the ethics gate and every judgement and the verdict are derived again with the
    engine's own code, and the derived ones are what is kept.  Every problem is listed.
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
            gettext(
                "The bundle's config hash does not match the registered "
                "config: it was run with a different experiment config."
            )
        )
    try:
        _, recomputed = config_from_mapping(bundle.config)
    except EngineProblems as exc:
        problems.extend(f"config: {p}" for p in exc.problems)
    else:
        if recomputed != bundle.config_hash:
            problems.append(
                gettext("The bundle's config does not match its own hash: it was altered.")
            )
    try:
        check = check_bundle(bundle)
    except (AttributeError, KeyError, LookupError, TypeError, ValueError):
        # A name outside the closed vocabularies (a metric that is no field, a model not
        # in the config) can stop the figures being derived at all: the vocabulary
        # problems already say what to fix, with every other problem found so far.
        if not problems:
            raise
        raise EngineProblems(problems) from None
    problems.extend(p for p in check.problems if p not in problems)
    if problems or check.verdict is None or check.ethics is None:
        raise EngineProblems(problems or ["The bundle's verdict could not be derived."])
    # Store what the Centre derived, never what was uploaded (they agree in substance, or
    # the bundle was refused above; the wording is this code version's).
    derived = bundle.model_copy(
        update={
            "verdict": VerdictModel.model_validate(check.verdict.to_dict()),
            "ethics": EthicsModel.model_validate(check.ethics.to_dict()),
        }
    )
    data = json.loads(bundle_json(derived))
    return CheckedBundle(
        data=data,
        config_hash=bundle.config_hash,
        verdict_status=data["verdict"]["status"],
        verdict_sentence=data["verdict"]["sentence"],
    )


def _bundle(data: dict[str, Any]) -> ResultBundle:
    return ResultBundle.model_validate(data)


def bundle_text(data: dict[str, Any]) -> str:
    """A stored bundle as the engine's canonical JSON text (``bundle_json``: sorted keys,
    indent 2, UTF-8, final newline), byte for byte what ``whatworks-analytics run`` writes."""
    return bundle_json(_bundle(data))


def report_html(data: dict[str, Any], *, preface_html: str = "") -> str:
    """The engine's self-contained HTML report (for download), with ``preface_html`` (made
    and escaped by a template) under its title."""
    return engine_report.render_report(_bundle(data), preface_html=preface_html)


def report_sections(data: dict[str, Any]) -> dict[str, str]:
    """The engine's report sections as HTML fragments, for the report page.

    The engine escapes every value it writes; its SVG plots carry no inline styles.
    """
    sections = engine_report.report_sections(_bundle(data))
    return {
        "answers": sections.answers,
        "glossary": sections.glossary,
        "importance": sections.importance,
        "verdict": sections.verdict,
        "metrics": sections.metrics,
        "fairness": sections.fairness,
        "subgroups": sections.circumstances,
        "ethics": sections.ethics,
        "plots": sections.plots,
        "provenance": sections.provenance,
    }


def provenance(data: dict[str, Any]) -> dict[str, str]:
    """Where a bundle's numbers come from: code version, config hash, data fingerprint."""
    return {
        "code_version": str(data.get("code_version", "")),
        "config_hash": str(data.get("config_hash", "")),
        "fingerprint": str((data.get("data") or {}).get("fingerprint", "")),
    }


def verdict_summary(data: dict[str, Any]) -> dict[str, Any]:
    """Aggregates for the Centre's view: the verdict against each criterion."""
    verdict = data.get("verdict") or {}
    return {
        "provenance": provenance(data),
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


# --- synthetic data, for the demo -----------------------------------------------------


def synthetic_dataset_write(*, referrals: int, years: int, seed: int, folder: Path) -> Path:
    """Write a synthetic authority's tables into ``folder`` as CSV, as an authority would
    upload them (the engine's generator); return the folder."""
    from whatworks_analytics.pilots.synth import SynthConfig, generate, write_dataset

    synthetic = generate(SynthConfig(referrals=referrals, years=years, seed=seed))
    return write_dataset(synthetic, folder)


# --- the registry ----------------------------------------------------------------------

#: The report's rounding (``whatworks_analytics.pilots.report``: two decimals).
REPORT_DIGITS = 2


def _rounded(estimate: dict[str, Any], op: str, threshold: float, judgement: str) -> dict[str, Any]:
    """The estimate and interval rounded as the report rounds them, unless that rounding
    would change the judgement against the criterion: then with the fewest more digits
    that keep it (so the registry's verdict is the pilot's)."""
    from whatworks_analytics.pilots.metrics import Estimate
    from whatworks_analytics.pilots.verdict import judge

    value, low, high = estimate.get("value"), estimate.get("low"), estimate.get("high")
    for digits in range(REPORT_DIGITS, 11):
        shown = [None if v is None else round(float(v), digits) for v in (value, low, high)]
        if judge(op, threshold, Estimate(value=shown[0], low=shown[1], high=shown[2])) == judgement:
            break
    out: dict[str, Any] = {"estimate": shown[0]}
    if shown[1] is not None and shown[2] is not None:
        out.update(lower=shown[1], upper=shown[2])
    return out


def version_experiment(version: Any, config_hash: str) -> Any:
    """The pilot experiment of a registered protocol version with this config hash, or None."""
    from whatworks.registry.services.pilot_experiments import version_pilot_experiment

    return version_pilot_experiment(version, config_hash)


def registry_bundle(
    data: dict[str, Any], *, project_reference: str, protocol_version: Any
) -> dict[str, Any]:
    """The registry's result bundle (``docs/results-bundle.md``) from a pilot's bundle.

    One result per outcome the protocol version registers for this pilot's experiment:
    the success model's pooled temporal estimates of each pre-registered metric, with
    their intervals, rounded as the report rounds them; the number of groups outside the
    fairness band (left out when the fairness criteria could not be settled, so that the
    registry calls it inconclusive as the pilot does); and the ethics questions not
    answered yes.  The registry then judges its criteria, which are the pilot's.
    """
    from whatworks.registry.protocol import PILOT_ETHICS_STATISTIC, PILOT_FAIRNESS_STATISTIC

    experiment = version_experiment(protocol_version, str(data.get("config_hash", "")))
    if experiment is None:
        raise EngineProblems(
            [f"{protocol_version.label} does not contain this run's experiment config."]
        )
    verdict = data.get("verdict") or {}
    *success_keys, fairness_key, ethics_key = experiment.outcome_keys
    model = verdict.get("model", experiment.model)
    pooled: dict[str, Any] = next(
        (
            r["metrics"]
            for r in data.get("results", [])
            if r["model"] == model and r["evaluation"] == "temporal" and r["split"] is None
        ),
        {},
    )
    results: list[dict[str, Any]] = []
    registered = experiment.criteria()
    for key, registered_criterion, criterion in zip(
        success_keys, registered, verdict.get("criteria", []), strict=False
    ):
        estimate = criterion.get("estimate") or {}
        result: dict[str, Any] = {
            "outcome": key,
            "statistic": registered_criterion.statistic,
            "interval": "95% percentile bootstrap interval",
            "note": f"Model {model}; pooled temporal test periods.",
        }
        if estimate.get("value") is None:
            result.pop("interval")
            result["metrics"] = {"n": float(pooled.get("n") or 0)}
            result["note"] += f" The {registered_criterion.statistic} is undefined."
        else:
            result.update(
                _rounded(
                    estimate, criterion["op"], float(criterion["threshold"]), criterion["judgement"]
                )
            )
            if pooled.get("n"):
                result["n"] = int(pooled["n"])
        results.append(result)
    outside = sum(len(c.get("outside", [])) for c in verdict.get("fairness_checks", []))
    judged = sum(int(c.get("judged_groups", 0)) for c in verdict.get("fairness_checks", []))
    fairness_result: dict[str, Any] = {
        "outcome": fairness_key,
        "metrics": {"groups judged": float(judged)},
        "note": "",
    }
    if verdict.get("fairness") == "inconclusive":
        fairness_result["note"] = (
            "The fairness criteria could not be settled: a disparity outside the band has an "
            "interval reaching into it, or no group is large enough to judge."
        )
    else:
        fairness_result["metrics"][PILOT_FAIRNESS_STATISTIC] = float(outside)
    items = (data.get("ethics") or {}).get("items", [])
    return {
        "schema": "whatworks.results/1",
        "project": project_reference,
        "protocol_version": protocol_version.number,
        "summary": str(verdict.get("sentence", ""))[:5000],
        "results": [
            *results,
            fairness_result,
            {
                "outcome": ethics_key,
                "metrics": {
                    PILOT_ETHICS_STATISTIC: float(sum(i.get("answer") != "yes" for i in items))
                },
            },
        ],
    }


def registry_add_experiment(*, actor: Any, project: Any, config: dict[str, Any]) -> Any:
    """Put the experiment in the project's protocol draft through the registry's service."""
    from whatworks.core.errors import PermissionDeniedError
    from whatworks.registry.errors import RegistryError
    from whatworks.registry.services.pilot_experiments import protocol_draft_add_pilot_experiment

    try:
        return protocol_draft_add_pilot_experiment(actor=actor, project=project, config=config)
    except RegistryError as exc:
        raise EngineProblems(exc.messages) from None
    except PermissionDeniedError:
        raise EngineProblems(
            [f"Only the team of {project.reference} can change its protocol draft."]
        ) from None


def registry_fill_results(*, actor: Any, project: Any, bundle: dict[str, Any]) -> Any:
    """Fill the project's draft results report through the registry's own service."""
    from whatworks.registry.errors import RegistryError
    from whatworks.registry.services.results import results_import_bundle

    try:
        return results_import_bundle(actor=actor, project=project, bundle=bundle)
    except RegistryError as exc:
        raise EngineProblems(exc.messages) from None


@dataclass(frozen=True)
class PilotProjects:
    """The registry's projects a pilot may be started of, as the new-pilot page needs them:
    querysets for the form's choices, a list for the rest."""

    #: Projects with a registered protocol version (the form's choices), newest first.
    registered: QuerySet[Any]
    #: Their registered versions, newest project first, newest version first within each.
    versions: QuerySet[Any]
    #: Projects without a registered version yet (the page says how to register one).
    unregistered: list[Any]

    def offers(self, project: Any) -> bool:
        """Whether a pilot of ``project`` may be started (registered or not)."""
        return any(p.pk == project.pk for p in self.unregistered) or (
            self.registered.filter(pk=project.pk).exists()
        )


def registry_projects_for_new_pilot(*, user: Any) -> PilotProjects:
    """The projects ``user`` is on the team of, as the registry decides it
    (``registry.selectors.team_projects``: administrators on every team; none for
    ``None``), withdrawn ones left out."""
    from whatworks.registry.models import ProtocolVersion
    from whatworks.registry.selectors import team_projects

    projects = (
        team_projects(user)
        .filter(withdrawn_at__isnull=True)
        .distinct()
        .order_by("-year", "-serial")
    )
    registered = projects.filter(versions__isnull=False).distinct()
    versions = (
        ProtocolVersion.objects.select_related("project")
        .filter(project__in=registered)
        .order_by("-project__year", "-project__serial", "-number")
    )
    return PilotProjects(
        registered=registered,
        versions=versions,
        unregistered=list(projects.filter(versions__isnull=True)),
    )


def registry_named_project_ids(user: Any) -> list[int]:
    """The ids of the projects whose team names ``user``: membership itself, without the
    administrators' standing on every team (``registry.selectors.projects_naming``)."""
    from whatworks.registry.selectors import projects_naming

    return list(projects_naming(user).values_list("pk", flat=True))


def registry_demo_project(title_contains: str) -> Any | None:
    """The demo's registry project whose title contains this, with a registered protocol
    version (``None`` if the registry's demo is not loaded)."""
    from whatworks.registry.models import Project

    return Project.objects.filter(title__icontains=title_contains, versions__isnull=False).first()


def registry_can_edit(user: Any, project: Any) -> bool:
    """Whether ``user`` may edit the project's protocol draft: the registry's own rule (its
    team, administrators counting as on every team, while the project is not withdrawn)."""
    from whatworks.registry.selectors import can_edit

    return can_edit(user, project)


def protocol_versions(project: Any) -> list[Any]:
    """The project's registered protocol versions, newest first."""
    return list(project.versions.order_by("-number"))


# --- the data contract, for its page -----------------------------------------------------


def _plain(text: str) -> str:
    """The contract's text, escaped, with its `code` spans as ``<code>`` (column names and
    codes are shown as code, not as words)."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    escaped = escape(text)
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))  # noqa: S308 - escaped


def contract_tables() -> list[dict[str, Any]]:
    """The engine's data contract as plain values: each table, its columns, their codes."""
    return [
        {
            "name": table.name,
            "description": _plain(table.description),
            "key": table.key,
            "may_be_empty": table.may_be_empty,
            "columns": [
                {
                    "name": column.name,
                    "kind": _plain(column.kind.describe),
                    "required": column.required,
                    "description": _plain(column.description),
                    "codes": [(code.code, code.label) for code in column.codes],
                }
                for column in table.columns
            ],
        }
        for table in CONTRACT.tables
    ]


def contract_version() -> str:
    return str(CONTRACT.version)


def example_config() -> str:
    """The engine's worked example config (``examples/escalation.yaml``, shipped with the
    package), as a template for a new pilot."""
    from importlib.resources import files

    return (files("whatworks_analytics.pilots") / "example_config.yaml").read_text(encoding="utf-8")


def outcome_events() -> tuple[str, ...]:
    """The outcome events a config may name (the engine's codes)."""
    from typing import get_args

    from whatworks_analytics.pilots.config import OutcomeEvent

    return tuple(get_args(OutcomeEvent))


def config_from_choices(
    *,
    events: list[str],
    window_days: int,
    top_percent: float | None,
    threshold: float | None,
    criteria: list[tuple[str, str, float]],
    combine: str,
) -> str:
    """The worked example config with the common choices written in: the outcome and its
    window, the operating point and the success criteria.

    The example's comments are kept (they explain every other section, which the
    researcher still edits: the ethics answers, the fairness reference groups).  The
    result is parsed by the engine and must say what was chosen; if the example's lines
    could not be found, the same choices are written into its parsed form instead.
    Raises :class:`EngineProblems` if the engine refuses the choices.
    """
    text = example_config()
    flow = ", ".join(events)
    if top_percent is not None:
        point = (
            f"  top_percent: {top_percent:g}                  # the team can look again at "
            f"{top_percent:g}% of referrals\n"
            "  # threshold: 0.3                 # ... or flag every score >= 0.3 (give one, "
            "not both)\n"
        )
    else:
        point = (
            f"  threshold: {threshold:g}                  # flag every score >= this\n"
            "  # top_percent: 10                # ... or the top 10% of referrals (give one, "
            "not both)\n"
        )
    lines = "".join(
        f'    - {{metric: {metric}, op: "{op}", value: {value:g}}}\n'
        for metric, op, value in criteria
    )
    replaced = re.sub(r"(?m)^  events: \[[^\]]*\]", f"  events: [{flow}]", text, count=1)
    window = f"  window_days: {window_days}"
    replaced = re.sub(r"(?m)^  window_days: \d+", window, replaced, count=1)
    point_lines = r"(?m)^operating_point:\n(?:  .*\n)+?(?=\n)"
    replaced = re.sub(point_lines, "operating_point:\n" + point, replaced, count=1)
    replaced = re.sub(r"(?m)^  combine: \w+", f"  combine: {combine}", replaced, count=1)
    replaced = re.sub(
        r"(?m)^  criteria:\n(?:    - .*\n)+", "  criteria:\n" + lines, replaced, count=1
    )
    wanted = {
        "events": list(events),
        "window_days": window_days,
        "top_percent": top_percent,
        "threshold": threshold,
        "criteria": [{"metric": m, "op": o, "value": v} for m, o, v in criteria],
        "combine": combine,
    }
    try:
        parsed, _hash = config_parse(replaced)
    except EngineProblems:
        parsed = {}
    if _choices_of(parsed) != wanted:
        raw = yaml.safe_load(text)
        raw["outcome"] = {**raw["outcome"], "events": list(events), "window_days": window_days}
        point_choice: dict[str, float | None] = (
            {"top_percent": top_percent} if top_percent is not None else {"threshold": threshold}
        )
        raw["operating_point"] = point_choice
        raw["success"] = {**raw["success"], "combine": combine, "criteria": wanted["criteria"]}
        replaced = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
        config_parse(replaced)  # raises EngineProblems with the engine's own words
    return replaced


def _choices_of(parsed: dict[str, Any]) -> dict[str, Any]:
    if not parsed:
        return {}
    point = parsed["operating_point"]
    return {
        "events": list(parsed["outcome"]["events"]),
        "window_days": parsed["outcome"]["window_days"],
        "top_percent": point.get("top_percent"),
        "threshold": point.get("threshold"),
        "criteria": [
            {"metric": c["metric"], "op": c["op"], "value": c["value"]}
            for c in parsed["success"]["criteria"]
        ],
        "combine": parsed["success"]["combine"],
    }
