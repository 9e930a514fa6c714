"""The audit report's tables of differences, parity summaries, ranking and calibration.

Rendered into each attribute's section of :meth:`.audit.AuditReport.to_html`, after the
disparity ratios: every table is wrapped in a focusable, labelled region so that it scrolls
on a narrow screen, and every number has its bootstrap interval when the audit has one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from whatworks_analytics.fairness.bootstrap import Interval
from whatworks_analytics.fairness.disparities import DISPARITY_METRICS, AttributeDisparities
from whatworks_analytics.fairness.metrics import METRIC_LABELS
from whatworks_analytics.fairness.summaries import SUMMARY_LABELS, SUMMARY_METRICS

if TYPE_CHECKING:
    from whatworks_analytics.fairness.audit import AuditReport

__all__ = ["attribute_extras"]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 2) -> str:
    return "undefined" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _signed(value: float | None, digits: int = 3) -> str:
    return "undefined" if value is None or not math.isfinite(value) else f"{value:+.{digits}f}"


def _with_ci(text: str, interval: Interval | None, digits: int = 2, *, signed: bool = False) -> str:
    if interval is None:
        return _e(text)
    show = _signed if signed else _num
    low = "unbounded" if interval.low is None else show(interval.low, digits)
    high = "unbounded" if interval.high is None else show(interval.high, digits)
    return f'{_e(text)}<span class="ci">CI {_e(low)} to {_e(high)}</span>'


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Cells are HTML already escaped; the first of each row is its header."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    body = "".join(
        f'<tr><th scope="row">{row[0]}</th>{"".join(f"<td>{c}</td>" for c in row[1:])}</tr>'
        for row in rows
    )
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{_e(caption)}">'
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _differences(report: AuditReport, attribute: AttributeDisparities) -> str:
    key = report.key_metrics
    metrics = list(key) + [m for m in DISPARITY_METRICS if m not in key]
    rows = []
    for g in attribute.groups:
        intervals = report.interval(g.counts.attribute, g.counts.group)
        cells = [_e(g.counts.group)]
        for m in metrics:
            item = g.disparity(m)
            interval = None if intervals is None else intervals.differences.get(m)
            cells.append(_with_ci(_signed(item.difference), interval, 3, signed=True))
        rows.append(cells)
    return _table(
        f"Differences to the reference (group's rate minus the reference's; 0 is parity), "
        f"{attribute.attribute}",
        ["Group", *(METRIC_LABELS[m] + (" (key)" if m in key else "") for m in metrics)],
        rows,
    )


def _summaries(report: AuditReport, attribute: AttributeDisparities) -> str:
    try:
        summary = report.summary(attribute.attribute)
    except KeyError:
        return ""
    rows = []
    for name in SUMMARY_METRICS:
        all_ci = None if summary.intervals is None else summary.intervals.get(name)
        judged_ci = None if summary.intervals_judged is None else summary.intervals_judged.get(name)
        rows.append(
            [
                _e(
                    SUMMARY_LABELS[name]
                    + (" (0 is parity)" if "difference" in name else " (1 is parity)")
                ),
                _with_ci(_num(summary.values.get(name), 3), all_ci, 3),
                _with_ci(_num(summary.values_judged.get(name), 3), judged_ci, 3),
            ]
        )
    return _table(
        f"Parity summaries (largest gap between any two groups), {attribute.attribute}",
        ["Summary", "All groups", "Groups large enough to judge"],
        rows,
    )


def _scores(report: AuditReport, attribute: AttributeDisparities) -> str:
    members = [s for s in report.scores if s.attribute == attribute.attribute]
    if not members:
        return ""
    calibrated = report.calibration_note is None
    header = ["Group", "ROC AUC", "AUC difference to the reference"]
    if calibrated:
        header += ["Mean score", "Observed rate", "Observed / expected", "Brier score"]
    rows = []
    for s in members:
        ci: Mapping[str, Interval] = s.intervals
        cells = [
            _e(s.group),
            _with_ci(_num(s.roc_auc, 3), ci.get("roc_auc"), 3),
            _with_ci(_signed(s.auc_difference), ci.get("auc_difference"), 3, signed=True),
        ]
        if calibrated:
            cells += [
                _e(_num(s.mean_score, 3)),
                _e(_num(s.observed_rate, 3)),
                _with_ci(_num(s.observed_expected, 2), ci.get("observed_expected")),
                _with_ci(_num(s.brier, 3), ci.get("brier"), 3),
            ]
        rows.append(cells)
    reference = members[0].reference_group or "none"
    out = [
        _table(
            f"Ranking and calibration of {report.config.ranking_score!r} by group "
            f"(AUC reference: {reference}), {attribute.attribute}",
            header,
            rows,
        )
    ]
    if calibrated:
        bins = sorted({c.bin: (c.lower, c.upper) for s in members for c in s.calibration}.items())
        lookup = [{c.bin: c for c in s.calibration} for s in members]
        table_rows = []
        for number, (lower, upper) in bins:
            cells = [_e(f"{number}: {lower:.3g} to {upper:.3g}")]
            for cells_of in lookup:
                cell = cells_of.get(number)
                cells.append(
                    "—"
                    if cell is None
                    else _e(f"{cell.observed_rate:.3f} ({cell.mean_score:.3f}; n {cell.n:,})")
                )
            table_rows.append(cells)
        out.append(
            _table(
                f"Calibration in each tenth of the scores: observed rate (mean score; rows), "
                f"{attribute.attribute}",
                ["Score tenth", *(s.group for s in members)],
                table_rows,
            )
        )
    return "".join(out)


def attribute_extras(report: AuditReport, attribute: AttributeDisparities) -> str:
    """Differences, parity summaries, ranking and calibration tables of one attribute."""
    return (
        _differences(report, attribute) + _summaries(report, attribute) + _scores(report, attribute)
    )
