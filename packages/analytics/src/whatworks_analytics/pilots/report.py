"""The self-contained HTML report of a pilot run, rendered from its result bundle alone.

The headline comes first, then the three questions answered in words (can it be useful,
against the simplest baseline; in what circumstances; should we use it, with the ethics
gate, the fairness findings and the verdict together: :mod:`.headline`) and what every
number means; then the verdict against the pre-registered criteria, the metrics of every
model (with the baseline at the same flag volume), temporal against random k-fold
validation on the same rows, what the model uses (permutation importance), the curves and
performance over time, the fairness audit, performance by circumstance, the ethics answers
and the run's provenance.  Plots are inline SVG written here (no external
assets, no scripts), each with ``<title>`` and ``<desc>`` and followed by a table of the same
numbers; patterns (dashes, markers) never rely on colour alone.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from whatworks_analytics.fairness.metrics import RATE_METRICS
from whatworks_analytics.pilots.bundle import ModelResult, ResultBundle
from whatworks_analytics.pilots.features import feature_definition, feature_label
from whatworks_analytics.pilots.group_labels import dimension_label, group_label, labelled
from whatworks_analytics.pilots.headline import answers
from whatworks_analytics.pilots.plots import _e, chart_pair, disparity_chart, line_chart
from whatworks_analytics.pilots.verdict import METRIC_NAMES

#: The page around the report (only in the downloaded document).
_PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #0b0c0c; background: #fff; line-height: 1.5; margin: 0 auto; max-width: 72rem;
  padding: 1rem 1.5rem 3rem; }
h1, h2, h3 { line-height: 1.25; }
:focus-visible { outline: 3px solid #0b0c0c; background: #ffdd00; }
@media (max-width: 40rem) { body { padding: .5rem .75rem 2rem; } }
"""

#: The report's own content: one rule per line, ``selector[, selector] { declarations }``,
#: so that :func:`scoped_css` can put it under the platform's report container.
CONTENT_CSS = """
.verdict { font-size: 1.25rem; font-weight: 700; border-left: 6px solid #1d4f91; }
.verdict { padding: .5rem 1rem; background: #f3f2f1; }
.status-does_not_support_use { border-color: #942514; }
.status-supports_use { border-color: #00703c; }
.verdict-sentence { font-weight: 700; }
dl.summary { display: grid; gap: .25rem 1rem; }
dl.summary { grid-template-columns: minmax(0, max-content) minmax(0, 1fr); }
dl.summary dt { font-weight: 700; }
dl.summary dd { margin: 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: 0 0 1.5rem; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 700; padding: .5rem 0; }
th, td { border: 1px solid #505a5f; padding: .25rem .5rem; vertical-align: top; }
thead th { background: #f3f2f1; text-align: left; }
td { text-align: right; }
th[scope="row"] { text-align: left; font-weight: 400; }
td.text { text-align: left; }
.bad { color: #942514; font-weight: 700; }
figure { margin: 0 0 1rem; overflow-x: auto; }
figcaption { font-weight: 700; }
svg text { font-family: inherit; font-size: 12px; }
.chart-narrow { display: none; }
@media (max-width: 47.99rem) { .chart-wide { display: none; } .chart-narrow { display: block; } }
:focus-visible { outline: 3px solid #0b0c0c; background: #ffdd00; }
.answers h2 { margin-top: 1.5rem; }
dl.glossary dt { font-weight: 700; margin-top: .5rem; }
dl.glossary dd { margin: 0 0 0 1rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
"""

_CSS = _PAGE_CSS + CONTENT_CSS


def scoped_css(scope: str) -> str:
    """:data:`CONTENT_CSS` with every selector put under ``scope`` (a class selector such
    as ``.pilot-report``), for a page that embeds :func:`report_sections` and wants them
    to look as in the downloaded report."""

    def scoped_rule(line: str) -> str:
        selectors, _brace, rest = line.partition("{")
        scoped = ", ".join(f"{scope} {part.strip()}" for part in selectors.split(","))
        return f"{scoped} {{{rest}"

    lines = []
    for line in CONTENT_CSS.strip().splitlines():
        if line.startswith("@"):  # "@media (...) { rule } ... }": scope the rules inside
            condition, _brace, body = line.partition("{")
            rules = re.findall(r"[^{}]+\{[^{}]*\}", body.rsplit("}", 1)[0])
            inner = " ".join(scoped_rule(rule.strip()) for rule in rules)
            lines.append(f"{condition.strip()} {{ {inner} }}")
        else:
            lines.append(scoped_rule(line))
    return "\n".join(lines) + "\n"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _est(e: Any, digits: int = 2) -> str:
    if e.value is None:
        return "—"
    if e.low is None or e.high is None:
        return _num(e.value, digits)
    if e.low == e.high == e.value:
        return f"{_num(e.value, digits)} (the same in every resample)"
    return f"{_num(e.value, digits)} ({_num(e.low, digits)} to {_num(e.high, digits)})"


def _confidence(bundle: ResultBundle) -> str:
    return f"{100 * bundle.config['bootstrap']['confidence']:g}%"


def _with_interval(value: float | None, interval: Sequence[float] | None) -> str:
    if value is None or interval is None:
        return _num(value)
    return f"{_num(value)} ({_num(interval[0])} to {_num(interval[1])})"


class _Html(str):
    """A fragment of HTML this module wrote itself, its values already escaped.

    Every other value a table is given is escaped when it is written: the bundle is an
    upload, so any of its strings may carry markup."""


def _cell(value: object) -> str:
    return value if isinstance(value, _Html) else _e(value)


def _table(
    caption: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    text_columns: Sequence[int] = (),
) -> str:
    """An accessible table; the first cell of each row is its row header.  Cells are
    escaped unless they are :class:`_Html`; ``text_columns`` (indexes) hold prose and are
    aligned left, numbers right."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    body = []
    for row in rows:
        cells = f'<th scope="row">{_cell(row[0])}</th>' + "".join(
            f'<td class="text">{_cell(c)}</td>' if i in text_columns else f"<td>{_cell(c)}</td>"
            for i, c in enumerate(row[1:], start=1)
        )
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<div class="table-wrap"><table><caption>{_e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure(caption: str, svg: str, table: str) -> str:
    """A chart (its two drawings, :func:`chart_pair`) under a caption, its data below."""
    return (
        f"<figure><figcaption>{_e(caption)}</figcaption>{svg}</figure>"
        f"<details><summary>Data for: {_e(caption)}</summary>{table}</details>"
    )


def _line_charts(**options: Any) -> str:
    """:func:`line_chart` drawn wide and narrow (:func:`chart_pair`)."""
    return chart_pair(line_chart(**options), line_chart(**options, narrow=True))


def _pooled(bundle: ResultBundle, evaluation: str = "temporal") -> list[ModelResult]:
    return [r for r in bundle.results if r.evaluation == evaluation and r.split is None]


def _verdict_section(bundle: ResultBundle) -> str:
    v = bundle.verdict
    rows = [
        [
            METRIC_NAMES.get(c.metric, c.metric),
            f"{c.op} {c.threshold:g}",
            _est(c.estimate),
            c.judgement.replace("_", " "),
        ]
        for c in v.criteria
    ]
    fair_rows = [
        [
            dimension_label(c.attribute),
            c.judgement.replace("_", " "),
            str(c.judged_groups),
            "; ".join(c.outside) or "—",
            "; ".join(c.uncertain) or "—",
        ]
        for c in v.fairness_checks
    ]
    primary = bundle.result(v.model)
    m = primary.metrics
    tens = ""
    if m.of_10_flagged is not None and m.of_10_escalated is not None:
        tens = (
            f"<p>Of every 10 children flagged by {_e(v.model)}, {_e(m.of_10_flagged)} went "
            f"on to escalate; of every 10 who escalated, {_e(m.of_10_escalated)} were "
            "flagged.</p>"
        )
    combine = bundle.config["success"]["combine"]
    level = _confidence(bundle)
    return (
        "<h2>Verdict against the pre-registered criteria</h2>"
        f'<p class="verdict-sentence status-{_e(v.status)}" id="verdict">{_e(v.sentence)}</p>'
        f"{tens}"
        + _table(
            f"Success criteria for {v.model} (pooled temporal validation; combined with "
            f"'{combine}'): {v.success.replace('_', ' ')}",
            ["Criterion", "Needed", f"Estimate ({level} interval)", "Judgement"],
            rows,
        )
        + _table(
            f"Fairness criteria (key metrics when a flag triggers an "
            f"{ACTION_WORDS.get(bundle.config['fairness']['action'], 'unknown')} action): "
            f"{v.fairness.replace('_', ' ')}",
            ["Attribute", "Judgement", "Groups judged", "Outside the band", "Uncertain"],
            fair_rows,
            text_columns=(1, 3, 4),
        )
    )


#: What each number means, in words a practitioner can use (the report's glossary).
GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Escalated (the outcome)",
        "The child went on to the pre-registered outcome (for example a child protection "
        "plan or becoming looked after) within the outcome window after the referral.",
    ),
    (
        "Flagged",
        "The model put the referral among those the team has the capacity to look at "
        "again (the operating point, such as the top 10% of scores).",
    ),
    (
        "Precision",
        "Of the referrals flagged, the share that went on to escalate: how often a second "
        "look was spent on a child who needed it.",
    ),
    (
        "Recall",
        "Of the children who escalated, the share that were flagged: how many of the "
        "children who needed it the flag found.",
    ),
    (
        "Flag rate (selection rate)",
        "The share of all referrals flagged: the workload the flags create.",
    ),
    (
        "Base rate",
        "The share of referrals that escalated, flagged or not: what precision is to be "
        "compared with (flagging at random gives a precision near the base rate).",
    ),
    (
        "ROC AUC",
        "The chance that a child who escalated scores higher than one who did not (0.5 is "
        "a random ranking, 1 a perfect one), whatever the capacity.",
    ),
    (
        "Average precision",
        "Precision averaged over every possible capacity, from the first flag to the last.",
    ),
    (
        "Brier score",
        "The average squared gap between the score read as a probability and what "
        "happened (0 is perfect; lower is better).",
    ),
    (
        "Calibration",
        "Whether a score of 0.3 means that about 3 in 10 such referrals escalated.",
    ),
    (
        "False positive rate (FPR)",
        "Of the children who did not escalate, the share flagged: families looked at "
        "again without need.",
    ),
    (
        "False negative rate (FNR)",
        "Of the children who escalated, the share not flagged (1 minus recall): children "
        "the flag missed.",
    ),
    (
        "False discovery rate (FDR)",
        "Of the flagged referrals, the share that did not escalate (1 minus precision).",
    ),
    (
        "False omission rate (FOR)",
        "Of the referrals not flagged, the share that went on to escalate: children who "
        "were not looked at again but needed it. It matters here because a missed child "
        "gets no second look at all.",
    ),
    (
        "Negative predictive value (NPV)",
        "Of the referrals not flagged, the share that did not escalate (1 minus FOR).",
    ),
    (
        "Interval",
        "The range the figure would plausibly take with other referrals like these (a "
        "bootstrap percentile interval). When an interval includes the value compared "
        "with, the data cannot tell the two apart.",
    ),
    (
        "Temporal validation",
        "Each test period is scored by a model trained only on referrals whose outcomes "
        "were known before that period began, as the model would be used.",
    ),
)

#: The fairness audit's rate codes in words.
RATE_WORDS = {
    "base_rate": "Base rate",
    "selection_rate": "Flag rate",
    "fpr": "False positive rate",
    "fnr": "False negative rate",
    "precision": "Precision",
    "npv": "Negative predictive value",
    "fdr": "False discovery rate",
    "for": "False omission rate",
}

ACTION_WORDS = {
    "assistive": "assistive (an offer of help, so missed children matter most)",
    "punitive": "punitive (an intrusive step, so wrongly flagged families matter most)",
}


def _answers_section(bundle: ResultBundle) -> str:
    try:
        a = answers(bundle)
    except (KeyError, LookupError, TypeError, ValueError, AssertionError):
        # A bundle whose names do not match each other (only a hand-edited one): the
        # answers cannot be drawn, the tables below still show every figure.
        return (
            '<p class="verdict" id="headline">The answers could not be drawn from this '
            "bundle: its model names do not match each other.</p>"
        )
    status = bundle.verdict.status
    if a.comparison.outcome == "worse":
        status = "does_not_support_use"
    paragraphs = "".join(f"<p>{_e(x)}</p>" for x in a.useful)
    circumstances = "".join(f"<li>{_e(x)}</li>" for x in a.circumstances) or (
        "<li>No circumstances could be compared.</li>"
    )
    should = "".join(f"<p>{_e(x)}</p>" for x in a.should)
    return (
        f'<p class="verdict status-{_e(status)}" id="headline">{_e(a.headline)}</p>'
        '<div class="answers">'
        f"<h2>Can it be useful?</h2>{paragraphs}"
        f'<h2>In what circumstances?</h2><ul class="list">{circumstances}</ul>'
        f"<h2>Should we use it?</h2>{should}"
        "</div>"
    )


def _glossary_section(_bundle: ResultBundle) -> str:
    items = "".join(f"<dt>{_e(term)}</dt><dd>{_e(words)}</dd>" for term, words in GLOSSARY)
    return (
        "<details><summary>What the numbers mean</summary>"
        f'<dl class="glossary">{items}</dl></details>'
    )


def _importance_section(bundle: ResultBundle) -> str:
    imp = bundle.importance
    if imp is None:
        return ""

    def drop(r: Any) -> float:
        return 0.0 if r.roc_auc_drop is None else r.roc_auc_drop

    # A fall or gain under half a thousandth of ROC AUC, and no flag lost, is no effect.
    matter = [r for r in imp.features if abs(drop(r)) >= 0.0005 or (r.flags_lost or 0) > 0]
    idle = [r for r in imp.features if r not in matter]
    rows = [
        [
            feature_label(r.feature),
            feature_definition(r.feature),
            _num(0.0 if abs(drop(r)) < 0.0005 else drop(r), 3),
            _pct(r.flags_lost),
        ]
        for r in matter
    ]
    rest = ""
    if idle:
        names = "; ".join(feature_label(r.feature) for r in idle)
        rest = (
            f"<p>The other {len(idle)} features made no measurable difference when "
            f"shuffled (ROC AUC changed by less than 0.0005 and no flag was lost): "
            f"{_e(names)}.</p>"
        )
    return (
        "<h2>What the model uses</h2>"
        f"<p>Permutation importance of {_e(imp.model)} on {_e(_importance_rows(bundle))}: "
        "each feature in turn is shuffled among each "
        "period's referrals and that period's model scores them again. The fall in ROC "
        "AUC (from "
        f"{_e(_num(imp.roc_auc))}) is how much the ranking relies on the feature; the "
        "share of flags lost is how many flagged referrals would no longer be flagged. "
        "A fall near zero means the model does as well without it; a negative fall means "
        "it does better without it (it learnt noise from that feature). Every feature is a "
        "fact dated before the referral, except the age and the referral source, known on "
        "the day.</p>"
        + _table(
            f"What drives {imp.model}'s flags, most important first",
            ["Feature", "What it is", "Fall in ROC AUC when shuffled", "Flags lost"],
            rows,
            text_columns=(1,),
        )
        + rest
    )


def _importance_rows(bundle: ResultBundle) -> str:
    imp = bundle.importance
    assert imp is not None
    try:
        pooled = bundle.result(imp.model).metrics.n
    except KeyError:
        pooled = imp.n
    if imp.n < pooled:
        return (
            f"a seeded sample of {imp.n:,} of the {pooled:,} referrals of the test periods "
            "(one shuffle each, so differences under about 0.01 are within chance)"
        )
    return f"the {imp.n:,} referrals of the test periods"


def _comparison_table(bundle: ResultBundle) -> str:
    c = bundle.comparison
    if c is None:
        return ""
    rows = [
        [
            r.model,
            METRIC_NAMES.get(r.metric, r.metric),
            _num(r.value),
            _num(r.baseline),
            _signed_est(r.difference),
        ]
        for r in c.rows
    ]
    share = c.baseline_flagged / c.n if c.n else None
    return _table(
        f"Each model against the baseline at the baseline's own flag volume "
        f"({c.baseline_flagged:,} of {c.n:,} referrals, {_pct(share)}), same rows; "
        f"differences with paired {_confidence(bundle)} intervals",
        ["Model", "Metric", "Model", "Baseline", "Difference (model minus baseline)"],
        rows,
    )


def _signed_est(e: Any) -> str:
    if e.value is None:
        return "—"
    if e.low is None or e.high is None:
        return f"{e.value:+.2f}"
    return f"{e.value:+.2f} ({e.low:+.2f} to {e.high:+.2f})"


def _workload_section(bundle: ResultBundle) -> str:
    rows = []
    for r in _pooled(bundle):
        m = r.metrics
        rows.append(
            [
                r.model,
                f"{m.n:,}",
                f"{m.flagged:,} ({_pct(m.flag_rate.value)})",
                f"{m.tp:,}",
                f"{m.fp:,}",
                f"{m.fn:,}",
                f"{m.positives:,}",
            ]
        )
    return _table(
        "The team's workload at the operating point, pooled test periods",
        [
            "Model",
            "Referrals",
            "Flagged",
            "Flagged and escalated",
            "Flagged, did not escalate",
            "Escalated, not flagged",
            "Escalated",
        ],
        rows,
    )


def _metrics_section(bundle: ResultBundle) -> str:
    header = [
        "Model",
        "Precision",
        "Recall",
        "Flag rate",
        "ROC AUC",
        "Average precision",
        "Brier",
        "Flagged / n",
    ]

    def row(r: ModelResult) -> list[str]:
        m = r.metrics
        return [
            r.model,
            _est(m.precision),
            _est(m.recall),
            _est(m.flag_rate),
            _est(m.roc_auc),
            _est(m.average_precision),
            _est(m.brier, 3),
            f"{m.flagged:,} / {m.n:,}",
        ]

    out = ["<h2>How well each model predicts</h2>"]
    out.append(
        _table(
            "Pooled temporal validation (each test period scored by a model trained on "
            "the past only)",
            header,
            [row(r) for r in _pooled(bundle)],
        )
    )
    if bundle.lift:
        out.append(
            _table(
                "Lift over the baseline (prior referrals), pooled temporal validation, each "
                "model at its own flag volume (see the flag rates above)",
                ["Model", "Metric", "Model", "Baseline", "Lift"],
                [
                    [
                        x.model,
                        METRIC_NAMES.get(x.metric, x.metric),
                        _num(x.value),
                        _num(x.baseline),
                        _num(x.lift),
                    ]
                    for x in bundle.lift
                ],
            )
        )
    out.append(_workload_section(bundle))
    out.append(_comparison_table(bundle))
    if bundle.comparison is None and bundle.lift:
        out.append(
            "<p>The baseline and the models may flag different shares of referrals (tied "
            "counts of prior referrals are all flagged): compare their precision and "
            "recall with the flag rate beside them.</p>"
        )
    if bundle.optimism:
        if bundle.optimism_rows == "temporal_test":
            n = next((r.metrics.n for r in _pooled(bundle, "kfold")), 0)
            out.append(
                "<p>Random k-fold cross-validation, as often reported, is shown beside "
                f"temporal validation on the same {_e(format(n, ','))} referrals of the "
                "test periods. The folds are drawn at random from every referral with a "
                "known outcome, so the k-fold model has learnt from referrals made after "
                "the ones it scores, which no model in use can do. A positive difference "
                "is the optimism that k-fold alone would have reported; a difference near "
                "zero means the future taught the model little that the past did not.</p>"
            )
        else:
            out.append(
                "<p>In this bundle, k-fold was scored on every referral with a known "
                "outcome and temporal validation on the test periods only: the rows "
                "differ, so the difference mixes looking into the future with scoring "
                "other referrals, and can even have the wrong sign.</p>"
            )
        out.append(
            _table(
                "Random k-fold cross-validation beside temporal validation (k-fold mixes "
                "future and past, so it usually looks better than the model will do)",
                ["Model", "Metric", "Temporal", "Random k-fold", "Difference"],
                [
                    [
                        x.model,
                        METRIC_NAMES.get(x.metric, x.metric),
                        _num(x.temporal),
                        _num(x.kfold),
                        _num(x.difference),
                    ]
                    for x in bundle.optimism
                ],
            )
        )
    per_split = [r for r in bundle.results if r.evaluation == "temporal" and r.split is not None]
    out.append(
        _table(
            "Each temporal split (split 0 is the most recent)",
            ["Model", "Split", *header[1:]],
            [[r.model, str(r.split), *row(r)[1:]] for r in per_split],
        )
    )
    return "".join(out)


def _plots(bundle: ResultBundle) -> str:
    out = ["<h2>Curves</h2>"]
    names = [m["name"] for m in bundle.config["models"] if m["name"] in bundle.curves]
    roc = [(n, bundle.curves[n].roc) for n in names]
    aucs = {r.model: r.metrics.roc_auc.value for r in _pooled(bundle)}
    desc = (
        "ROC curves, pooled temporal validation. "
        + "; ".join(f"{n}: area {_num(aucs.get(n))}" for n in names)
        + ". The dashed diagonal is a random ranking."
    )
    table = _table(
        "ROC curve points (every tenth)",
        ["Model", "False positive rate", "True positive rate"],
        [[n, _num(x), _num(y)] for n, pts in roc for x, y in pts[::10]],
    )
    out.append(
        _figure(
            "ROC curves",
            _line_charts(
                chart_id="roc",
                title="ROC curves",
                desc=desc,
                series=roc,
                x_label="False positive rate",
                y_label="True positive rate (recall)",
                diagonal=True,
            ),
            table,
        )
    )
    pr = [(n, bundle.curves[n].pr) for n in names]
    aps = {r.model: r.metrics.average_precision.value for r in _pooled(bundle)}
    desc = (
        "Precision-recall curves, pooled temporal validation. "
        + "; ".join(f"{n}: average precision {_num(aps.get(n))}" for n in names)
        + f". The base rate is {_pct(bundle.cohort.base_rate)}."
    )
    table = _table(
        "Precision-recall points (every tenth)",
        ["Model", "Recall", "Precision"],
        [[n, _num(x), _num(y)] for n, pts in pr for x, y in pts[::10]],
    )
    out.append(
        _figure(
            "Precision-recall curves",
            _line_charts(
                chart_id="pr",
                title="Precision-recall curves",
                desc=desc,
                series=pr,
                x_label="Recall",
                y_label="Precision",
            ),
            table,
        )
    )
    cal = [
        (r.model, [(b.mean_predicted, b.observed_rate) for b in r.metrics.calibration])
        for r in _pooled(bundle)
    ]
    top = max([1e-9] + [max(x, y) for _n, pts in cal for x, y in pts])
    top = min(1.0, math.ceil(top * 10) / 10)
    desc = (
        "Calibration by decile of the score: mean predicted probability against the "
        "observed rate; points on the dashed diagonal are well calibrated."
    )
    table = _table(
        "Calibration by decile",
        ["Model", "Mean predicted", "Observed rate", "n"],
        [
            [r.model, _num(b.mean_predicted, 3), _num(b.observed_rate, 3), f"{b.n:,}"]
            for r in _pooled(bundle)
            for b in r.metrics.calibration
        ],
    )
    out.append(
        _figure(
            "Calibration",
            _line_charts(
                chart_id="calibration",
                title="Calibration",
                desc=desc,
                series=cal,
                x_label="Mean predicted probability",
                y_label="Observed rate",
                diagonal=True,
                markers=True,
                x_range=(0, top),
                y_range=(0, top),
            ),
            table,
        )
    )
    used = [s for s in bundle.splits if s.used]
    if used:
        order = sorted(used, key=lambda s: s.test_start)
        position = {s.index: i for i, s in enumerate(order)}
        ticks = [(float(i), s.test_start.isoformat()) for i, s in enumerate(order)]
        series = []
        rows = []
        for n in names:
            pts = []
            for r in bundle.results:
                if r.model == n and r.evaluation == "temporal" and r.split in position:
                    assert r.split is not None
                    value = r.metrics.roc_auc.value
                    if value is not None:
                        pts.append((float(position[r.split]), value))
                    rows.append(
                        [
                            n,
                            order[position[r.split]].test_start.isoformat(),
                            _num(value),
                            _est(r.metrics.precision),
                            _est(r.metrics.recall),
                        ]
                    )
            series.append((n, sorted(pts)))
        values = [y for _n, pts in series for _x, y in pts]
        # From 0.4 (or lower, so that no point falls off the chart) to 1.
        low_auc = min([0.4] + [math.floor(v * 10) / 10 for v in values])
        desc = (
            "ROC AUC of each model in each test period, oldest first: "
            + "; ".join(f"{n}: " + ", ".join(_num(y) for _x, y in pts) for n, pts in series)
            + "."
        )
        out.append(
            _figure(
                "Performance over time",
                _line_charts(
                    chart_id="over-time",
                    title="ROC AUC over time",
                    desc=desc,
                    series=series,
                    x_label="Start of test period",
                    y_label="ROC AUC",
                    x_ticks=ticks,
                    x_range=(-0.3, max(len(order) - 0.7, 0.7)),
                    y_range=(low_auc, 1.0),
                    markers=True,
                ),
                _table(
                    "Performance by test period",
                    ["Model", "Test period from", "ROC AUC", "Precision", "Recall"],
                    rows,
                ),
            )
        )
    return "".join(out)


def _fairness_section(bundle: ResultBundle) -> str:
    f = bundle.fairness
    if f is None:
        return "<h2>Fairness</h2><p>No fairness audit could be run (see the warnings).</p>"
    out = [
        "<h2>Fairness</h2>",
        f"<p>Audit of {_e(bundle.verdict.model)}'s flags on the pooled test periods: "
        f"{_e(format(f['n'], ','))} decisions, {_e(format(f['flagged'], ','))} flagged. "
        "The action is "
        f"{_e(ACTION_WORDS.get(f['action'], f['action']))}, so the key metrics are "
        f"{_e(', '.join(RATE_WORDS.get(m, m).lower() for m in f['key_metrics']))}. "
        "Groups too small to judge are marked and not judged.</p>",
    ]
    metrics = RATE_METRICS
    for attribute in [a["attribute"] for a in f["attributes"]]:
        rows = []
        for g in f["groups"]:
            if g["attribute"] != attribute:
                continue
            key_ratios = []
            for m in f["key_metrics"]:
                ratio = g.get("disparity", {}).get(m)
                within = g.get("within_band", {}).get(m)
                text = f"{RATE_WORDS.get(m, m)} {_num(ratio)}"
                key_ratios.append(
                    f'<span class="bad">{_e(text)} outside</span>' if within is False else _e(text)
                )
            rows.append(
                [
                    group_label(attribute, g["group"]),
                    f"{g['n']:,}",
                    *(_pct(g.get(m)) for m in metrics),
                    _Html("; ".join(key_ratios)),
                    "too small to judge" if g["too_small"] else "—",
                ]
            )
        out.append(
            _table(
                f"Fairness by {dimension_label(attribute)}",
                [
                    "Group",
                    "n",
                    *(RATE_WORDS.get(m, m) for m in metrics),
                    "Key ratios to the reference group",
                    "Note",
                ],
                rows,
            )
        )
    svg = chart_pair(disparity_chart(f), disparity_chart(f, narrow=True))
    table = _table(
        "Disparity ratios (key metrics)",
        ["Group", "Metric", "Ratio", "Within band"],
        [
            [
                labelled(g["attribute"], g["group"]),
                RATE_WORDS.get(m, m),
                _num(g["disparity"].get(m)),
                {True: "yes", False: "no", None: "not judged"}.get(
                    g["within_band"].get(m), str(g["within_band"].get(m))
                ),
            ]
            for g in f["groups"]
            if " & " not in g["attribute"]
            for m in f["key_metrics"]
        ],
    )
    out.append(_figure("Disparity ratios to the reference group", svg, table))
    out.append(_fairness_differences(f, _confidence(bundle)))
    out.append(_fairness_summaries(f, _confidence(bundle)))
    out.append(_fairness_scores(f, _confidence(bundle)))
    return "".join(out)


def _ci(value: float | None, interval: Sequence[float | None] | None, digits: int = 2) -> str:
    """``value (low to high)``; a missing bound reads "unbounded"."""
    if value is None:
        return "—"
    if interval is None or (interval[0] is None and interval[1] is None):
        return _num(value, digits)
    low = "unbounded" if interval[0] is None else _num(interval[0], digits)
    high = "unbounded" if interval[1] is None else _num(interval[1], digits)
    return f"{_num(value, digits)} ({low} to {high})"


def _fairness_differences(f: dict[str, Any], confidence: str) -> str:
    """The key metrics' differences and ratios to the reference, with their intervals."""
    rows = [
        [
            labelled(g["attribute"], g["group"]),
            m,
            _ci(g.get("difference", {}).get(m), g.get("difference_ci", {}).get(m), 3),
            _ci(g["disparity"].get(m), g.get("disparity_ci", {}).get(m)),
        ]
        for g in f["groups"]
        if "difference" in g and " & " not in g["attribute"]
        for m in f["key_metrics"]
    ]
    if not rows:
        return ""
    return _table(
        f"Differences and ratios to the reference group (key metrics; {confidence} "
        "bootstrap intervals where computed). A difference is the group's rate minus the "
        "reference's: 0 is parity.",
        ["Group", "Metric", "Difference", "Ratio"],
        rows,
    )


_SUMMARY_NAMES = {
    "demographic_parity_difference": "Demographic parity difference (0 is parity)",
    "demographic_parity_ratio": "Demographic parity ratio (1 is parity)",
    "equalized_odds_difference": "Equalised odds difference (0 is parity)",
    "equalized_odds_ratio": "Equalised odds ratio (1 is parity)",
}


def _fairness_summaries(f: dict[str, Any], confidence: str) -> str:
    """Each attribute's demographic-parity and equalised-odds summaries."""
    rows = []
    for summary in f.get("summaries", []):
        attribute = summary["attribute"]
        if " & " in attribute:
            continue
        for name, label in _SUMMARY_NAMES.items():
            rows.append(
                [
                    f"{dimension_label(attribute)}: {label}",
                    _ci(
                        summary["all_groups"].get(name), (summary["all_groups_ci"] or {}).get(name)
                    ),
                    _ci(summary["judged"].get(name), (summary["judged_ci"] or {}).get(name)),
                ]
            )
    if not rows:
        return ""
    return _table(
        f"Parity summaries: the largest gap between any two groups in the share flagged "
        f"(demographic parity) and in the true or false positive rate (equalised odds), "
        f"with {confidence} bootstrap intervals where computed",
        ["Summary", "All groups", "Groups large enough to judge"],
        rows,
    )


def _fairness_scores(f: dict[str, Any], confidence: str) -> str:
    """How well the score ranks and is calibrated in each group, and the calibration bins."""
    scores = f.get("scores")
    if not scores or not scores.get("groups"):
        return ""
    groups = [g for g in scores["groups"] if " & " not in g["attribute"]]
    rows = [
        [
            labelled(g["attribute"], g["group"]),
            f"{g['n']:,}",
            _ci(g["roc_auc"], g["ci"].get("roc_auc")),
            _ci(g["auc_difference"], g["ci"].get("auc_difference"), 3),
            _ci(g["observed_expected"], g["ci"].get("observed_expected")),
            _ci(g["brier"], g["ci"].get("brier"), 3),
        ]
        for g in groups
    ]
    note = scores.get("calibration_note")
    out = [
        _table(
            f"Ranking and calibration of the score by group ({confidence} bootstrap intervals "
            "where computed). The AUC difference is to the reference group; observed / "
            "expected above 1 means the score under-states the group's risk, below 1 that "
            "it over-states it.",
            ["Group", "n", "ROC AUC", "AUC difference", "Observed / expected", "Brier score"],
            rows,
        )
    ]
    if note:
        out.append(f"<p>Calibration is not reported: {_e(note)}.</p>")
    for attribute in dict.fromkeys(g["attribute"] for g in groups):
        members = [g for g in groups if g["attribute"] == attribute and g["calibration"]]
        if not members:
            continue
        bins = sorted(
            {c["bin"]: (c["lower"], c["upper"]) for g in members for c in g["calibration"]}.items()
        )
        by_group = [{c["bin"]: c for c in g["calibration"]} for g in members]
        table_rows = []
        for number, (lower, upper) in bins:
            cells: list[object] = [f"{number}: scores {_num(lower)} to {_num(upper)}"]
            for cells_of in by_group:
                cell = cells_of.get(number)
                cells.append(
                    "—"
                    if cell is None
                    else f"{_pct(cell['observed_rate'])} ({_pct(cell['mean_score'])}; "
                    f"n {cell['n']:,})"
                )
            table_rows.append(cells)
        out.append(
            _table(
                f"Calibration by {dimension_label(attribute)}: in each tenth of the scores, "
                "the observed rate (the mean score; the rows)",
                ["Score tenth", *(group_label(attribute, g["group"]) for g in members)],
                table_rows,
            )
        )
    return "".join(out)


def _rate_cell(
    value: float | None, ci: Sequence[float] | None, hits: int, of: int, empty: str
) -> str:
    """A group's precision or recall: "no flagged cases in this group" rather than an
    undefined rate, and the counts rather than an interval of no width."""
    if of == 0:
        return empty
    if value is None:
        return "—"
    if ci is not None and ci[0] == ci[1]:
        return f"{_num(value)} ({hits:,} of {of:,}; too few to give an interval)"
    return _with_interval(value, ci)


def _circumstances_section(bundle: ResultBundle) -> str:
    rows = []
    for c in bundle.circumstances:
        if c.too_small:
            rows.append(
                [
                    labelled(c.dimension, c.group),
                    f"{c.n:,}",
                    "—",
                    "—",
                    "—",
                    "—",
                    "—",
                    "too few referrals to judge",
                ]
            )
            continue
        tp = round((c.precision or 0.0) * c.flagged) if c.flagged else 0
        rows.append(
            [
                labelled(c.dimension, c.group),
                f"{c.n:,}",
                _pct(c.base_rate),
                f"{c.flagged:,}",
                _rate_cell(
                    c.precision, c.precision_ci, tp, c.flagged, "no flagged cases in this group"
                ),
                _rate_cell(
                    c.recall,
                    c.recall_ci,
                    tp,
                    c.positives,
                    "no child in this group escalated",
                )
                if c.flagged or not c.positives
                else "no flagged cases in this group",
                _num(c.roc_auc),
                "—",
            ]
        )
    return "<h2>In what circumstances</h2>" + _table(
        f"Performance of {bundle.verdict.model} by circumstance (pooled temporal validation; "
        f"precision and recall with {_confidence(bundle)} intervals)",
        ["Group", "n", "Base rate", "Flagged", "Precision", "Recall", "ROC AUC", "Note"],
        rows,
    )


def _ethics_section(bundle: ResultBundle) -> str:
    e = bundle.ethics
    status = (
        "passed" if e.passed else "not passed: the verdict cannot say the evidence supports use"
    )
    rows = [[i.title, i.question, i.answer, i.note or "—"] for i in e.items]
    return f"<h2>Ethics gate ({_e(status)})</h2>" + _table(
        "Ethics checklist", ["Question", "Asked", "Answer", "Evidence"], rows
    )


def _provenance(bundle: ResultBundle) -> str:
    c = bundle.cohort
    items = [
        ("Config hash (SHA-256)", bundle.config_hash),
        ("Data fingerprint (SHA-256)", bundle.data.fingerprint),
        ("Code version", f"whatworks-analytics {bundle.code_version}"),
        ("Seed", str(bundle.seed)),
        ("Label end (exclusive)", bundle.data.label_end.isoformat()),
        (
            "Decision points",
            f"{c.decision_points:,} ({c.observable:,} with a known outcome; "
            f"base rate {_pct(c.base_rate)})",
        ),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    splits = _table(
        "Temporal splits",
        [
            "Split",
            "Split date",
            "Test period",
            "Train rows (positives)",
            "Test rows (positives)",
            "Used",
        ],
        [
            [
                str(s.index),
                s.split_date.isoformat(),
                f"{s.test_start.isoformat()} to {s.test_end.isoformat()}",
                f"{s.n_train:,} ({s.train_positives:,})",
                f"{s.n_test:,} ({s.test_positives:,})",
                "yes" if s.used else f"no: {s.reason}",
            ]
            for s in bundle.splits
        ],
    )
    warnings = "".join(f"<li>{_e(w)}</li>" for w in bundle.warnings) or "<li>None.</li>"
    config = _e(json.dumps(bundle.config, indent=2, sort_keys=True, ensure_ascii=False))
    return (
        f'<h2>Provenance</h2><dl class="summary">{dl}</dl>{splits}'
        f"<h3>Warnings</h3><ul>{warnings}</ul>"
        f"<details><summary>The full config</summary><pre>{config}</pre></details>"
    )


@dataclass(frozen=True)
class ReportSections:
    """The report's sections as HTML fragments, in reading order, for embedding in
    another page: every value is escaped and the SVG plots carry no inline style or
    script (so a strict Content-Security-Policy holds)."""

    answers: str
    glossary: str
    verdict: str
    metrics: str
    importance: str
    plots: str
    fairness: str
    circumstances: str
    ethics: str
    provenance: str

    def html(self) -> str:
        return "".join(getattr(self, f.name) for f in fields(self))


def report_sections(bundle: ResultBundle) -> ReportSections:
    """Each section of the report on ``bundle`` (see :class:`ReportSections`)."""
    return ReportSections(
        answers=_answers_section(bundle),
        glossary=_glossary_section(bundle),
        verdict=_verdict_section(bundle),
        metrics=_metrics_section(bundle),
        importance=_importance_section(bundle),
        plots=_plots(bundle),
        fairness=_fairness_section(bundle),
        circumstances=_circumstances_section(bundle),
        ethics=_ethics_section(bundle),
        provenance=_provenance(bundle),
    )


#: The downloaded report's own policy (it holds even when opened from disk, where no
#: server sends a header): no script of any kind, no requests, only its inline style.
REPORT_CSP = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def render_report(bundle: ResultBundle, *, preface_html: str = "") -> str:
    """The whole HTML document (every value escaped; scripts forbidden by its CSP).

    ``preface_html`` goes under the title: HTML the caller made and escaped itself, such as
    the platform's statement of who computed the run.
    """
    name = bundle.config.get("name", "pilot")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{REPORT_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Pilot report: {_e(name)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>Pilot report: {_e(name)}</h1>"
        + preface_html
        + report_sections(bundle).html()
        + "</main></body></html>\n"
    )
