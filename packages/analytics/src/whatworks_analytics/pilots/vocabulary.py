"""Closed vocabularies of a result bundle: the strings that can only take known values.

The schema (:mod:`.bundle`) checks types; this module checks that each name in a bundle is
one the engine could have written for its config: model names from the config, metric
names from :data:`~whatworks_analytics.pilots.verdict.METRIC_NAMES`, fairness attributes
from the config and their groups as codes, rate metrics from the fairness module,
circumstance dimensions from :mod:`.circumstances`, the ethics checklist from
:mod:`.ethics` with the config's own answers.  A bundle edited by hand (or made to carry
markup) is refused with every problem at once; what is still free text (the verdict
sentence, warnings, reasons) is escaped wherever it is written.

Example::

    >>> from whatworks_analytics.pilots.vocabulary import vocabulary_problems
    >>> vocabulary_problems(bundle)          # doctest: +SKIP
    ["lift[0].metric: '<b>' is not a metric (precision, recall, ...)"]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from whatworks_analytics.fairness.metrics import RATE_METRICS
from whatworks_analytics.pilots.bundle import ResultBundle
from whatworks_analytics.pilots.circumstances import DIMENSIONS
from whatworks_analytics.pilots.ethics import QUESTIONS
from whatworks_analytics.pilots.schema import CONTRACT
from whatworks_analytics.pilots.verdict import METRIC_NAMES

#: Most problems listed; the rest are counted.
MAX_PROBLEMS = 50

_CODE = r"[a-z0-9][a-z0-9_]*"
_GROUP = re.compile(rf"{_CODE}(?: & {_CODE})*")
_DATE = r"\d{4}-\d{2}-\d{2}"
_PERIOD = re.compile(rf"{_DATE} to {_DATE}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}")
_FEATURE = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")
_RATES = frozenset({*RATE_METRICS, "base_rate"})
_ANSWERS = frozenset({"yes", "partly", "no", "unknown", "unanswered"})
#: A fairness check's label in words (``fairness.describe``): letters, digits, group codes
#: and plain punctuation only, never markup or quotes.
_CHECK_WORDS = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _&,;:.()%+-]{0,299}")


def _listing(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def one_of(self, where: str, value: Any, allowed: Iterable[str], what: str) -> None:
        allowed = set(allowed)
        if not isinstance(value, str) or value not in allowed:
            self.add(where, f"{value!r} is not {what} ({_listing(allowed)})")

    def matches(self, where: str, value: Any, pattern: re.Pattern[str], what: str) -> None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.add(where, f"{value!r} is not {what}")

    def number(self, where: str, value: Any, *, optional: bool = True) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(where, f"{value!r} is not a number")


def vocabulary_problems(bundle: ResultBundle) -> list[str]:
    """Every string of ``bundle`` outside its closed vocabulary, as readable lines."""
    out = _Problems()
    config = bundle.config
    models = {str(m.get("name")) for m in config.get("models", []) if isinstance(m, Mapping)}
    out.matches("config_hash", bundle.config_hash, _HEX64, "a SHA-256 in hex")
    out.matches("data.fingerprint", bundle.data.fingerprint, _HEX64, "a SHA-256 in hex")
    out.matches("code_version", bundle.code_version, _VERSION, "a version number")
    for name in bundle.data.row_counts:
        out.one_of("data.row_counts", name, CONTRACT.table_names, "a contract table")
    for i, feature in enumerate(bundle.features):
        out.matches(f"features[{i}]", feature, _FEATURE, "a feature name")
    for i, result in enumerate(bundle.results):
        out.one_of(f"results[{i}].model", result.model, models, "a model of the config")
    for name in bundle.curves:
        out.one_of("curves", name, models, "a model of the config")
    named = [("lift", i, r.model, r.metric) for i, r in enumerate(bundle.lift)]
    named += [("optimism", i, r.model, r.metric) for i, r in enumerate(bundle.optimism)]
    if bundle.comparison is not None:
        out.one_of("comparison.baseline", bundle.comparison.baseline, models, "a model")
        named += [
            ("comparison.rows", i, r.model, r.metric) for i, r in enumerate(bundle.comparison.rows)
        ]
    for section, i, model, metric in named:
        out.one_of(f"{section}[{i}].model", model, models, "a model of the config")
        out.one_of(f"{section}[{i}].metric", metric, METRIC_NAMES, "a metric")
    if bundle.importance is not None:
        out.one_of("importance.model", bundle.importance.model, models, "a model of the config")
        known = set(bundle.features)
        for i, used in enumerate(bundle.importance.features):
            out.matches(f"importance.features[{i}].feature", used.feature, _FEATURE, "a feature")
            for j, column in enumerate(used.columns):
                out.one_of(f"importance.features[{i}].columns[{j}]", column, known, "a feature")
    verdict = bundle.verdict
    out.one_of("verdict.model", verdict.model, models, "a model of the config")
    for i, criterion in enumerate(verdict.criteria):
        out.one_of(f"verdict.criteria[{i}].metric", criterion.metric, METRIC_NAMES, "a metric")
        out.one_of(f"verdict.criteria[{i}].op", criterion.op, (">=", "<="), "a comparison")
    fairness_config = config.get("fairness") or {}
    attributes = [str(a) for a in fairness_config.get("attributes", [])]
    for i, check in enumerate(verdict.fairness_checks):
        where = f"verdict.fairness_checks[{i}]"
        out.one_of(f"{where}.attribute", check.attribute, attributes, "a fairness attribute")
        for key in ("outside", "uncertain"):
            for j, label in enumerate(getattr(check, key)):
                if not (isinstance(label, str) and _CHECK_WORDS.fullmatch(label)):
                    out.add(
                        f"{where}.{key}[{j}]",
                        f"{label!r} is not a description of a disparity in plain words",
                    )
    if bundle.fairness is not None:
        _fairness(out, bundle.fairness, attributes, fairness_config)
    dimensions = [label for _key, label in DIMENSIONS]
    for i, row in enumerate(bundle.circumstances):
        where = f"circumstances[{i}]"
        out.one_of(f"{where}.dimension", row.dimension, dimensions, "a circumstance")
        pattern = _PERIOD if row.dimension == "test period" else _GROUP
        out.matches(f"{where}.group", row.group, pattern, "a group code")
    _ethics(out, bundle, config)
    problems = out.items
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"… and {more:,} more problems of the same kinds."]
    return problems


def _fairness(
    out: _Problems, f: Mapping[str, Any], attributes: list[str], config: Mapping[str, Any]
) -> None:
    """The parts of the fairness audit's JSON that the report writes."""
    known = set(attributes)
    out.one_of("fairness.action", f.get("action"), [str(config.get("action"))], "the action")
    for key in ("n", "flagged"):
        out.number(f"fairness.{key}", f.get(key), optional=False)
    band = f.get("band")
    if not isinstance(band, Mapping):
        out.add("fairness.band", "missing: expected low and high")
    else:
        for key in ("low", "high"):
            out.number(f"fairness.band.{key}", band.get(key), optional=False)
    key_metrics = f.get("key_metrics")
    if not isinstance(key_metrics, list):
        out.add("fairness.key_metrics", "missing: expected a list of rate metrics")
        key_metrics = []
    for i, metric in enumerate(key_metrics):
        out.one_of(f"fairness.key_metrics[{i}]", metric, RATE_METRICS, "a rate metric")
    for i, item in enumerate(_rows(out, f, "attributes")):
        _attribute(out, f"fairness.attributes[{i}].attribute", item.get("attribute"), known)
    for i, group in enumerate(_rows(out, f, "groups")):
        where = f"fairness.groups[{i}]"
        _attribute(out, f"{where}.attribute", group.get("attribute"), known)
        out.matches(f"{where}.group", group.get("group"), _GROUP, "a group code")
        out.number(f"{where}.n", group.get("n"), optional=False)
        if not isinstance(group.get("too_small"), bool):
            out.add(f"{where}.too_small", "expected true or false")
        for metric in RATE_METRICS:
            out.number(f"{where}.{metric}", group.get(metric))
        for key in ("disparity", "within_band"):
            values = group.get(key, {})
            if not isinstance(values, Mapping):
                out.add(f"{where}.{key}", "expected an object keyed by rate metric")
                continue
            for metric, value in values.items():
                out.one_of(f"{where}.{key}", metric, _RATES, "a rate metric")
                if key == "disparity":
                    out.number(f"{where}.disparity.{metric}", value)
                elif value is not None and not isinstance(value, bool):
                    out.add(f"{where}.within_band.{metric}", f"{value!r} is not true or false")


def _attribute(out: _Problems, where: str, value: Any, known: set[str]) -> None:
    """An attribute of the config, or an intersection of them (``a & b``)."""
    parts = value.split(" & ") if isinstance(value, str) else []
    if not parts or not all(p in known for p in parts):
        out.add(where, f"{value!r} is not an attribute of the config ({_listing(known)})")


def _rows(out: _Problems, f: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    rows = f.get(key)
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        out.add(f"fairness.{key}", "expected a list of objects")
        return []
    return rows


def _ethics(out: _Problems, bundle: ResultBundle, config: Mapping[str, Any]) -> None:
    """The checklist is the engine's, answered by the (registered) config."""
    questions = {q.id: q for q in QUESTIONS}
    answers = config.get("ethics") or {}
    for i, item in enumerate(bundle.ethics.items):
        where = f"ethics.items[{i}]"
        question = questions.get(item.id)
        if question is None:
            out.add(f"{where}.id", f"{item.id!r} is not a question of the checklist")
            continue
        if item.title != question.title or item.question != question.text:
            out.add(where, f"the title or question of {item.id} is not the checklist's")
        out.one_of(f"{where}.answer", item.answer, _ANSWERS, "an answer")
        given = answers.get(item.id) if isinstance(answers, Mapping) else None
        expected = str(given.get("note", "")) if isinstance(given, Mapping) else ""
        if item.note != expected:
            out.add(f"{where}.note", f"the note of {item.id} is not the config's")
