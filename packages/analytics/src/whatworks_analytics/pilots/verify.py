"""Check a result bundle made elsewhere, and derive its verdict again.

A bundle made offline (``whatworks-analytics run`` in a local authority) reaches the Centre
as JSON that anyone could have edited.  :func:`check_bundle` takes nothing in it on trust
that can be derived from something else it carries:

* the config must parse and its canonical hash must be the bundle's ``config_hash``;
* every confusion matrix must add up (``n = tp + fp + tn + fn``, positives, flagged, base
  rate) and the metrics that follow from it must agree with it (precision
  ``tp / (tp + fp)``, recall ``tp / (tp + fn)``, flag rate ``flagged / n``, the "of 10"
  figures); every estimate must lie inside its own interval;
* each model's pooled temporal counts must be the sum of its per-split counts, and each
  split's counts must be that split's test rows;
* the cohort's base rate, each circumstance's base rate and its precision and recall (one
  ``tp`` for both), the lift and optimism differences must follow from their parts;
* the fairness audit's rates must follow from its counts, each attribute's groups must add
  up to the audited rows, and the disparity ratios, band judgements and "too small" flags
  are computed again from the counts with the same code (:func:`~whatworks_analytics.
  fairness.disparities.compare_groups`);
* the ethics gate is computed again from the config's answers, and every criterion
  judgement, every fairness check, the success and fairness judgements and the overall
  verdict are computed again from the estimates and the registered criteria with
  :mod:`.verdict`.

Every problem is listed (:attr:`BundleCheck.problems`); the recomputed ethics gate and
verdict are returned, so that a caller stores what the Centre derived, never what was
uploaded.  What cannot be recomputed without the child-level data (the scores, so ROC AUC,
average precision, Brier score, the bootstrap intervals) is checked for consistency only,
and is labelled in the report as computed by the authority, not reproduced by the Centre.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from whatworks_analytics.fairness.audit import key_metrics_for
from whatworks_analytics.fairness.disparities import (
    DISPARITY_METRICS,
    AttributeDisparities,
    Band,
    ReferenceRule,
    SizeRule,
    compare_groups,
)
from whatworks_analytics.fairness.metrics import RATE_METRICS, GroupCounts
from whatworks_analytics.fairness.summaries import SUMMARY_METRICS, summarise_attribute
from whatworks_analytics.pilots.bundle import EstimateModel, MetricsModel, ResultBundle
from whatworks_analytics.pilots.config import ConfigError, config_hash, parse_config
from whatworks_analytics.pilots.ethics import EthicsGate, ethics_gate
from whatworks_analytics.pilots.metrics import Estimate
from whatworks_analytics.pilots.verdict import Verdict, decide, fairness_checks

__all__ = ["BundleCheck", "check_bundle"]

_WORDS = {"met": "met", "not_met": "not met", "inconclusive": "inconclusive"}


@dataclass(frozen=True, kw_only=True)
class BundleCheck:
    """What :func:`check_bundle` found: every problem, and what the Centre derived."""

    problems: tuple[str, ...]
    ethics: EthicsGate | None
    verdict: Verdict | None

    @property
    def ok(self) -> bool:
        return not self.problems


def _close(a: float | None, b: float | None) -> bool:
    """Equal, allowing for the bundle's rounding to 10 significant digits."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-10)


def _share(num: int, den: int) -> float | None:
    return num / den if den > 0 else None


def _show(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4g}"


def _interval_problems(where: str, name: str, e: EstimateModel) -> list[str]:
    problems = []
    if (e.low is None) != (e.high is None):
        problems.append(f"{where}: {name} has only one end of its interval.")
    elif e.low is not None and e.high is not None:
        if e.low > e.high:
            problems.append(f"{where}: {name}'s interval runs backwards ({e.low} to {e.high}).")
        elif e.value is None or not (e.low - 1e-9 <= e.value <= e.high + 1e-9):
            problems.append(
                f"{where}: {name} {_show(e.value)} lies outside its own interval "
                f"({_show(e.low)} to {_show(e.high)})."
            )
    return problems


def _metrics_problems(where: str, m: MetricsModel) -> list[str]:
    problems = []
    cells = {"tp": m.tp, "fp": m.fp, "tn": m.tn, "fn": m.fn}
    negative = [k for k, v in cells.items() if v < 0]
    if negative:
        return [f"{where}: negative counts ({', '.join(negative)})."]
    if m.n != m.tp + m.fp + m.tn + m.fn:
        problems.append(f"{where}: n = {m.n} but tp + fp + tn + fn = {sum(cells.values())}.")
    if m.positives != m.tp + m.fn:
        problems.append(f"{where}: positives = {m.positives} but tp + fn = {m.tp + m.fn}.")
    if m.flagged != m.tp + m.fp:
        problems.append(f"{where}: flagged = {m.flagged} but tp + fp = {m.tp + m.fp}.")
    derived = {
        "base rate": (m.base_rate, _share(m.tp + m.fn, m.n)),
        "precision": (m.precision.value, _share(m.tp, m.tp + m.fp)),
        "recall": (m.recall.value, _share(m.tp, m.tp + m.fn)),
        "flag rate": (m.flag_rate.value, _share(m.tp + m.fp, m.n)),
    }
    for name, (stated, computed) in derived.items():
        if not _close(stated, computed):
            problems.append(
                f"{where}: {name} is {_show(stated)} but its counts give {_show(computed)}."
            )
    precision, recall = _share(m.tp, m.tp + m.fp), _share(m.tp, m.tp + m.fn)
    of_10 = {
        "of 10 flagged": (m.of_10_flagged, None if precision is None else round(10 * precision)),
        "of 10 escalated": (m.of_10_escalated, None if recall is None else round(10 * recall)),
    }
    for name, (stated_count, computed_count) in of_10.items():
        if stated_count != computed_count:
            problems.append(
                f"{where}: '{name}' is {stated_count} but its counts give {computed_count}."
            )
    for name in ("precision", "recall", "flag_rate", "roc_auc", "average_precision", "brier"):
        problems.extend(_interval_problems(where, name, getattr(m, name)))
    return problems


def _results_problems(bundle: ResultBundle) -> list[str]:
    problems: list[str] = []
    used = {s.index: s for s in bundle.splits if s.used}
    for item in bundle.results:
        where = f"results: {item.model}, {item.evaluation}, " + (
            "pooled" if item.split is None else f"split {item.split}"
        )
        problems.extend(_metrics_problems(where, item.metrics))
        if item.evaluation == "temporal" and item.split is not None:
            split = used.get(item.split)
            if split is None:
                problems.append(f"{where}: no used split has this index.")
            elif (item.metrics.n, item.metrics.positives) != (split.n_test, split.test_positives):
                problems.append(
                    f"{where}: {item.metrics.n} rows and {item.metrics.positives} positives, "
                    f"but the split has {split.n_test} test rows and {split.test_positives} "
                    "positives."
                )
    for model in {r.model for r in bundle.results}:
        parts = [
            r.metrics
            for r in bundle.results
            if r.model == model and r.evaluation == "temporal" and r.split is not None
        ]
        pooled = [
            r.metrics
            for r in bundle.results
            if r.model == model and r.evaluation == "temporal" and r.split is None
        ]
        if len(pooled) != 1:
            problems.append(f"results: {model} needs exactly one pooled temporal result.")
            continue
        for cell in ("tp", "fp", "tn", "fn"):
            total = sum(getattr(p, cell) for p in parts)
            if getattr(pooled[0], cell) != total:
                problems.append(
                    f"results: {model}'s pooled {cell} is {getattr(pooled[0], cell)} but its "
                    f"test periods add up to {total}."
                )
    return problems


def _pooled(bundle: ResultBundle, model: str, evaluation: str = "temporal") -> MetricsModel | None:
    try:
        return bundle.result(model, evaluation=evaluation).metrics
    except KeyError:
        return None


def _value(m: MetricsModel | None, metric: str) -> float | None:
    return None if m is None else getattr(m, metric).value


def _derived_figures_problems(bundle: ResultBundle) -> list[str]:
    problems: list[str] = []
    c = bundle.cohort
    if not _close(c.base_rate, _share(c.positives, c.observable)):
        problems.append(
            f"cohort: base rate {_show(c.base_rate)} but {c.positives} of {c.observable} "
            f"gives {_show(_share(c.positives, c.observable))}."
        )
    for s in bundle.circumstances:
        where = f"circumstances: {s.dimension} {s.group}"
        if not _close(s.base_rate, _share(s.positives, s.n)):
            problems.append(f"{where}: base rate {_show(s.base_rate)} does not follow from n.")
        if s.precision is not None and s.recall is not None:
            tp_p, tp_r = s.precision * s.flagged, s.recall * s.positives
            if (
                abs(tp_p - round(tp_p)) > 1e-6
                or abs(tp_r - round(tp_r)) > 1e-6
                or (round(tp_p) != round(tp_r))
            ):
                problems.append(
                    f"{where}: precision {_show(s.precision)} of {s.flagged} flagged and recall "
                    f"{_show(s.recall)} of {s.positives} positives cannot come from one count "
                    "of true positives."
                )
        for name, value, ci in (
            ("precision", s.precision, s.precision_ci),
            ("recall", s.recall, s.recall_ci),
        ):
            if ci is not None:
                low, high = ci
                problems.extend(
                    _interval_problems(where, name, EstimateModel(value=value, low=low, high=high))
                )
    for item in bundle.lift:
        where = f"lift: {item.model} {item.metric}"
        pooled = _value(_pooled(bundle, item.model), item.metric)
        if not _close(item.value, pooled):
            problems.append(f"{where}: value {_show(item.value)} is not the pooled result.")
        if (
            item.value is not None
            and item.baseline is not None
            and not _close(item.lift, item.value - item.baseline)
        ):
            problems.append(f"{where}: lift {_show(item.lift)} is not value - baseline.")
    for row in bundle.optimism:
        where = f"optimism: {row.model} {row.metric}"
        if not _close(row.temporal, _value(_pooled(bundle, row.model), row.metric)):
            problems.append(f"{where}: the temporal value is not the pooled temporal result.")
        if not _close(row.kfold, _value(_pooled(bundle, row.model, "kfold"), row.metric)):
            problems.append(f"{where}: the k-fold value is not the pooled k-fold result.")
        if (
            row.temporal is not None
            and row.kfold is not None
            and not _close(row.difference, row.kfold - row.temporal)
        ):
            problems.append(
                f"{where}: difference {_show(row.difference)} is not k-fold - temporal."
            )
    if bundle.comparison is not None:
        compared = bundle.comparison
        base = _pooled(bundle, compared.baseline)
        if base is None or compared.n != base.n or compared.baseline_flagged != base.flagged:
            problems.append(
                "comparison: its rows or the baseline's flags are not the baseline's pooled "
                "temporal counts."
            )
        for pair in compared.rows:
            where = f"comparison: {pair.model} {pair.metric}"
            d = pair.difference
            if (d.low is None) != (d.high is None) or (
                d.low is not None and d.high is not None and d.low > d.high
            ):
                problems.append(f"{where}: the difference's interval is not an interval.")
            if pair.metric in ("roc_auc", "average_precision") and not _close(
                pair.value, _value(_pooled(bundle, pair.model), pair.metric)
            ):
                problems.append(f"{where}: value {_show(pair.value)} is not the pooled result.")
            if (
                pair.value is not None
                and pair.baseline is not None
                and not _close(pair.difference.value, pair.value - pair.baseline)
            ):
                problems.append(f"{where}: the difference is not value - baseline.")
    return problems


def _fairness_problems(
    audit: Mapping[str, Any], *, rules: Mapping[str, ReferenceRule], n: int | None
) -> list[str]:
    """The audit's figures that follow from its counts, computed again."""
    problems: list[str] = []
    try:
        band = Band(low=float(audit["band"]["low"]), high=float(audit["band"]["high"]))
        size_rule = SizeRule(
            min_group_size=int(audit["min_group_size"]),
            min_denominator=int(audit["min_denominator"]),
        )
        key = tuple(audit["key_metrics"])
        groups = list(audit["groups"])
        attributes = [a["attribute"] for a in audit["attributes"]]
    except (KeyError, TypeError, ValueError) as exc:
        return [f"fairness: the audit lacks {exc} or has it in the wrong form."]
    if key != key_metrics_for(audit.get("action")):
        problems.append(
            f"fairness: key metrics {', '.join(key)} are not those of a "
            f"{audit.get('action') or 'undeclared'} action."
        )
    if n is not None and audit.get("n") != n:
        problems.append(
            f"fairness: {audit.get('n')} rows audited, but the model's pooled result has {n}."
        )
    counts: dict[str, list[GroupCounts]] = {}
    for g in groups:
        where = f"fairness: {g.get('attribute')} {g.get('group')}"
        try:
            item = GroupCounts(
                attribute=str(g["attribute"]),
                group=str(g["group"]),
                tp=int(g["tp"]),
                fp=int(g["fp"]),
                tn=int(g["tn"]),
                fn=int(g["fn"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{where}: bad counts ({exc}).")
            continue
        if g.get("n") != item.n:
            problems.append(f"{where}: n = {g.get('n')} but tp + fp + tn + fn = {item.n}.")
        rates = item.rates()
        for metric in RATE_METRICS:
            if not _close(g.get(metric), rates[metric]):
                problems.append(
                    f"{where}: {metric} is {_show(g.get(metric))} but its counts give "
                    f"{_show(rates[metric])}."
                )
        counts.setdefault(item.attribute, []).append(item)
    stated = {(g.get("attribute"), g.get("group")): g for g in groups}
    for attribute in attributes:
        members = counts.get(attribute, [])
        total = sum(g.n for g in members)
        # Intersections leave out cells too small to report, so only the attributes add up.
        if " & " not in attribute and total != audit.get("n"):
            problems.append(
                f"fairness: the groups of {attribute} add up to {total} rows, not {audit.get('n')}."
            )
        if not members:
            continue
        try:
            compared = compare_groups(
                members,
                rule=rules.get(attribute, ReferenceRule()),
                band=band,
                size_rule=size_rule,
                metrics=DISPARITY_METRICS,
                key_metrics=key,
            )
        except (KeyError, ValueError) as exc:
            problems.append(f"fairness: {attribute}: cannot compare the groups ({exc}).")
            continue
        for g in compared.groups:
            given = stated[(attribute, g.counts.group)]
            where = f"fairness: {attribute} {g.counts.group}"
            if bool(given.get("too_small")) != g.too_small:
                problems.append(
                    f"{where}: 'too small to judge' is {bool(given.get('too_small'))} but its "
                    f"counts give {g.too_small}."
                )
            for metric in key:
                d = g.disparity(metric)
                ratio = (given.get("disparity") or {}).get(metric)
                within = (given.get("within_band") or {}).get(metric)
                if not _close(ratio, d.ratio):
                    problems.append(
                        f"{where}: {metric} ratio {_show(ratio)} but the counts give "
                        f"{_show(d.ratio)}."
                    )
                if within != d.within_band:
                    problems.append(
                        f"{where}: {metric} 'within band' is {within} but the counts give "
                        f"{d.within_band}."
                    )
                if "difference" in given:
                    difference = (given.get("difference") or {}).get(metric)
                    if not _close(difference, d.difference):
                        problems.append(
                            f"{where}: {metric} difference {_show(difference)} but the counts "
                            f"give {_show(d.difference)}."
                        )
        problems.extend(_summary_problems(audit, attribute, compared))
    problems.extend(_score_problems(audit, stated))
    return problems


def _summary_problems(
    audit: Mapping[str, Any], attribute: str, compared: AttributeDisparities
) -> list[str]:
    """The parity summaries of ``attribute`` recomputed from its counts (when stated)."""
    stated = [s for s in audit.get("summaries") or () if s.get("attribute") == attribute]
    if not stated:
        return []
    derived = summarise_attribute(
        attribute,
        [g.counts for g in compared.groups],
        judged=[g.counts.group for g in compared.groups if not g.too_small],
    )
    problems = []
    for part, values in (("all_groups", derived.values), ("judged", derived.values_judged)):
        given = stated[0].get(part) or {}
        for name in SUMMARY_METRICS:
            if not _close(given.get(name), values[name]):
                problems.append(
                    f"fairness: {attribute}: {name} ({part}) is {_show(given.get(name))} but "
                    f"the counts give {_show(values[name])}."
                )
    return problems


def _score_problems(
    audit: Mapping[str, Any], stated: Mapping[tuple[Any, Any], Mapping[str, Any]]
) -> list[str]:
    """Per-group AUC and calibration need the rows, so only their coherence is checked: each
    group is an audited group with its row count, and every figure lies in its range and in
    its own interval."""
    problems = []
    bounds = {"roc_auc": (0.0, 1.0), "brier": (0.0, 1.0), "auc_difference": (-1.0, 1.0)}
    for g in (audit.get("scores") or {}).get("groups") or ():
        where = f"fairness: scores of {g.get('attribute')} {g.get('group')}"
        counted = stated.get((g.get("attribute"), g.get("group")))
        if counted is None:
            problems.append(f"{where}: not an audited group.")
            continue
        if g.get("n") != counted.get("n"):
            problems.append(f"{where}: n = {g.get('n')} but the group has {counted.get('n')}.")
        for name, (low, high) in bounds.items():
            value = g.get(name)
            if value is not None and not low <= value <= high:
                problems.append(f"{where}: {name} {_show(value)} is outside [{low:g}, {high:g}].")
        for name, interval in (g.get("ci") or {}).items():
            value = g.get(name)
            if value is None or not interval:
                continue
            lower, upper = interval
            if (lower is not None and value < lower - 1e-9) or (
                upper is not None and value > upper + 1e-9
            ):
                problems.append(f"{where}: {name} {_show(value)} lies outside its interval.")
    return problems


def _estimates(m: MetricsModel) -> dict[str, Estimate]:
    return {
        name: Estimate(value=e.value, low=e.low, high=e.high)
        for name in ("precision", "recall", "flag_rate", "roc_auc", "average_precision", "brier")
        for e in (getattr(m, name),)
    }


def _verdict_problems(stated: Any, derived: Verdict) -> list[str]:
    problems: list[str] = []
    if len(stated.criteria) != len(derived.criteria):
        problems.append(
            f"verdict: {len(stated.criteria)} criteria judged, but the config registers "
            f"{len(derived.criteria)}."
        )
    for given, made in zip(stated.criteria, derived.criteria, strict=False):
        where = f"verdict: criterion {made.metric} {made.op} {made.threshold:g}"
        if (given.metric, given.op) != (made.metric, made.op) or not _close(
            given.threshold, made.threshold
        ):
            problems.append(
                f"{where}: the bundle states {given.metric} {given.op} {given.threshold:g}, "
                "not the registered criterion."
            )
        e = made.estimate
        if not all(
            _close(a, b)
            for a, b in (
                (given.estimate.value, e.value),
                (given.estimate.low, e.low),
                (given.estimate.high, e.high),
            )
        ):
            problems.append(f"{where}: its estimate is not the model's pooled result.")
        if given.judgement != made.judgement:
            problems.append(f"{where}: judged '{_WORDS[given.judgement]}', but {made.text}.")
    if len(stated.fairness_checks) != len(derived.fairness_checks) or any(
        a.attribute != b.attribute
        for a, b in zip(stated.fairness_checks, derived.fairness_checks, strict=False)
    ):
        problems.append("verdict: the fairness checks are not those of the audited attributes.")
    for given_check, made_check in zip(
        stated.fairness_checks, derived.fairness_checks, strict=False
    ):
        if given_check.judgement != made_check.judgement:
            problems.append(
                f"verdict: fairness on {made_check.attribute} judged "
                f"'{_WORDS[given_check.judgement]}', but the audit gives "
                f"'{_WORDS[made_check.judgement]}'."
            )
    pairs: Iterable[tuple[str, Any, Any]] = (
        ("the success criteria", stated.success, derived.success),
        ("the fairness criteria", stated.fairness, derived.fairness),
    )
    for name, given_j, made_j in pairs:
        if given_j != made_j:
            problems.append(
                f"verdict: {name} are stated '{_WORDS[given_j]}', but they are '{_WORDS[made_j]}'."
            )
    if stated.ethics_passed != derived.ethics_passed:
        said = "passed" if stated.ethics_passed else "not passed"
        answers = "pass" if derived.ethics_passed else "do not pass"
        problems.append(
            f"verdict: the ethics gate is stated {said}, but the config's answers {answers} it."
        )
    if stated.model != derived.model:
        problems.append(f"verdict: about {stated.model}, but the config names {derived.model}.")
    if stated.status != derived.status:
        problems.append(
            f"verdict: it says “{stated.sentence}” ({stated.status}), but the estimates, the "
            f"registered criteria and the ethics answers give “{derived.sentence}” "
            f"({derived.status})."
        )
    return problems


def check_bundle(bundle: ResultBundle) -> BundleCheck:
    """Every problem with ``bundle``, and the ethics gate and verdict derived again."""
    problems: list[str] = []
    try:
        config = parse_config(bundle.config)
    except ConfigError as exc:
        return BundleCheck(
            problems=tuple(f"config: {p}" for p in exc.problems), ethics=None, verdict=None
        )
    if config_hash(config) != bundle.config_hash:
        problems.append("The bundle's config does not match its own hash: it was altered.")
    problems.extend(_results_problems(bundle))
    problems.extend(_derived_figures_problems(bundle))
    primary = config.success.model
    pooled = _pooled(bundle, primary)
    if bundle.fairness is not None:
        rules = {
            name: ReferenceRule.parse(text) for name, text in config.fairness.reference.items()
        }
        problems.extend(
            _fairness_problems(bundle.fairness, rules=rules, n=None if pooled is None else pooled.n)
        )
    gate = ethics_gate(config.ethics)
    stated_answers = [(i.id, i.answer, i.note) for i in bundle.ethics.items]
    derived_answers = [(i.id, i.answer, i.note) for i in gate.items]
    if stated_answers != derived_answers or bundle.ethics.passed != gate.passed:
        problems.append(
            "ethics: the checklist differs from the config's answers"
            + (
                f" (stated {'passed' if bundle.ethics.passed else 'not passed'}; the answers "
                f"{'pass' if gate.passed else 'do not pass'} it)."
                if bundle.ethics.passed != gate.passed
                else "."
            )
        )
    if pooled is None:
        problems.append(f"results: no pooled temporal result for {primary}, the model judged.")
        return BundleCheck(problems=tuple(problems), ethics=gate, verdict=None)
    checks = (
        fairness_checks(
            bundle.fairness,
            attributes=config.fairness.attributes,
            band=(config.fairness.band.low, config.fairness.band.high),
        )
        if bundle.fairness is not None
        else ()
    )
    derived = decide(
        model=primary,
        criteria=[(c.metric, c.op, c.value) for c in config.success.criteria],
        estimates=_estimates(pooled),
        combine_how=config.success.combine,
        fairness=checks,
        ethics_passed=gate.passed,
        ethics_open=len(gate.open_items),
    )
    problems.extend(_verdict_problems(bundle.verdict, derived))
    return BundleCheck(problems=tuple(problems), ethics=gate, verdict=derived)
