"""Inline SVG charts for the pilot report: no scripts, no external assets, deterministic.

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>`` (a text
alternative giving the numbers that matter); series differ by dash pattern and marker shape
as well as colour.  Each builder draws a wide chart, or with ``narrow=True`` one for a phone
(:data:`NARROW_WIDTH` CSS px, text at 12 px); :func:`chart_pair` puts the two together so
that a page shows the one that fits.

What is drawn for a series carries ``data-series="<n>"`` and its legend entry
``data-legend="<n>"``: a legend names exactly the series that are drawn (the browser checks
and the tests compare the two sets).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from whatworks_analytics.pilots.group_labels import labelled

_COLOURS = ("#1d4f91", "#d4351c", "#00703c", "#6f3b8f", "#b58840", "#505a5f")
_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
_MARKS = ("circle", "square", "triangle", "diamond", "circle", "square")


#: The width, in CSS px, of a chart drawn for a phone (a 390-px screen's content column).
NARROW_WIDTH = 310


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fit(text: str, room: int) -> str:
    """``text`` cut at a word to at most ``room`` characters, with an ellipsis."""
    if len(text) <= room:
        return text
    cut = text[: room - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:(") + "\u2026"


def chart_pair(wide: str, narrow: str) -> str:
    """Both drawings of a chart: the page's CSS shows the narrow one below 48 rem."""
    return f'<div class="chart-wide">{wide}</div><div class="chart-narrow">{narrow}</div>'


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 4.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f} '
            f'{x + 4.5:.1f},{y + 3.5:.1f}" fill="{colour}"/>'
        )
    if kind == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
            f'{x - 5:.1f},{y:.1f}" fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


#: Average width of a character of the charts' 12-px text, for sizing margins so that no
#: label is cut off (generous: capitals and digits run wider than lower-case letters).
_CHAR_PX = 7.0


def nice_ticks(low: float, high: float, *, count: int = 6) -> list[tuple[float, str]]:
    """Ticks at round values (steps of 1, 2, 2.5 or 5 times a power of ten) covering
    ``[low, high]``, each labelled with as many decimals as its step needs, so that no two
    ticks share a label and no label rounds its position (0.12 is never shown as "0.1").

    >>> [label for _v, label in nice_ticks(0.0, 0.6)]
    ['0.0', '0.1', '0.2', '0.3', '0.4', '0.5', '0.6']
    >>> [label for _v, label in nice_ticks(0.0, 0.3)]
    ['0.00', '0.05', '0.10', '0.15', '0.20', '0.25', '0.30']
    """
    span = high - low
    if not math.isfinite(span) or span <= 0:
        return [(low, f"{low:g}")]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if round(step / 10**-decimals, 6) % 1:
        decimals += 1
    first = math.ceil(low / step - 1e-9)
    out = []
    i = first
    while i * step <= high + 1e-9:
        value = round(i * step, 10)
        out.append((value, f"{value:.{decimals}f}"))
        i += 1
    return out


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    x_label: str,
    y_label: str,
    x_ticks: Sequence[tuple[float, str]] | None = None,
    x_range: tuple[float, float] = (0.0, 1.0),
    y_range: tuple[float, float] = (0.0, 1.0),
    diagonal: bool = False,
    markers: bool = False,
    narrow: bool = False,
) -> str:
    """An inline SVG line chart with ``<title>``, ``<desc>``, axes and a legend of the
    series that have points (to the right, or below the plot when ``narrow``).

    The value axis is ticked at round values (:func:`nice_ticks`); the wide legend's margin
    is as wide as its longest name, so nothing is cut off."""
    drawn = [(i, name, points) for i, (name, points) in enumerate(series) if points]
    if narrow:
        chart_id = f"{chart_id}-n"
        width, left, right, top, bottom = NARROW_WIDTH, 50, 14, 16, 48
        plot_height = 230
        legend_top = top + plot_height + bottom
        height = legend_top + 20 * len(drawn) + 4
    else:
        longest = max([len(name) for _i, name, _points in drawn] or [0])
        right = int(min(360, max(100, 48 + _CHAR_PX * longest)))
        width, height, left, top, bottom = 370 + right, 380, 56, 16, 48
        plot_height = height - top - bottom
    pw, ph = width - left - right, plot_height
    x0, x1 = x_range
    y0, y1 = y_range

    def px(x: float) -> float:
        return left + (x - x0) / ((x1 - x0) or 1.0) * pw

    def py(y: float) -> float:
        return top + ph - (y - y0) / ((y1 - y0) or 1.0) * ph

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{_e(title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(desc)}</desc>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#505a5f"/>',
    ]
    for t, label in nice_ticks(y0, y1):
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
            'stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_e(label)}</text>'
        )
    ticks = x_ticks if x_ticks is not None else nice_ticks(x0, x1)
    if narrow and len(ticks) > 4:  # room for about four labels (dates are long)
        step = math.ceil(len(ticks) / 4)
        ticks = list(ticks)[::step]
    for t, label in ticks:
        text = label or f"{t:g}"
        parts.append(
            f'<text x="{px(t):.1f}" y="{top + ph + 16}" text-anchor="middle">{_e(text)}</text>'
        )
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{top + ph + bottom - 8}" '
        f'text-anchor="middle">{_e(x_label)}</text>'
        f'<text transform="translate(14 {top + ph / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{_e(y_label)}</text>'
    )
    if diagonal:
        parts.append(
            f'<line x1="{px(x0):.1f}" y1="{py(y0):.1f}" x2="{px(x1):.1f}" y2="{py(y1):.1f}" '
            'stroke="#8a8a8a" stroke-dasharray="3 3"/>'
        )
    for row, (i, name, points) in enumerate(drawn):
        colour, dash, mark = (
            _COLOURS[i % len(_COLOURS)],
            _DASHES[i % len(_DASHES)],
            _MARKS[i % len(_MARKS)],
        )
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g data-series="{i}">')
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        if markers:
            parts.extend(_marker(mark, px(x), py(y), colour) for x, y in points)
        parts.append("</g>")
        if narrow:
            lx, ly = left, legend_top + 10 + 20 * row
        else:
            lx, ly = left + pw + 12, top + 14 + 20 * row
        parts.append(
            f'<g data-legend="{i}"><line x1="{lx}" x2="{lx + 24}" y1="{ly}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="2"{dash_attr}/>{_marker(mark, lx + 12, ly, colour)}'
            f'<text x="{lx + 30}" y="{ly + 4}">{_e(name)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


#: Rate codes of the fairness audit in a few words, for chart labels.
RATE_SHORT = {
    "selection_rate": "flag rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "precision": "precision",
    "npv": "negative predictive value",
    "fdr": "false discovery rate",
    "for": "false omission rate",
    "base_rate": "base rate",
}


def disparity_chart(
    fairness: dict[str, Any], *, chart_id: str = "disparities", narrow: bool = False
) -> str:
    """Dot plot of the key metrics' ratios to the reference, log scale, band shaded; each
    row names its group and metric (to the left, as wide as the longest label so none is
    cut off, or above the row when ``narrow``)."""
    key = fairness.get("key_metrics", [])
    band = fairness.get("band", {"low": 0.8, "high": 1.25})
    rows = [
        (labelled(g["attribute"], g["group"]), m, g["disparity"].get(m))
        for g in fairness.get("groups", [])
        if " & " not in g["attribute"] and not g.get("too_small")
        for m in key
        if g.get("disparity", {}).get(m) is not None
    ]
    values = [v for _l, _m, v in rows] + [band["low"], band["high"]]
    lo, hi = math.log(min(values) / 1.1), math.log(max(values) * 1.1)
    if narrow:
        chart_id = f"{chart_id}-n"
        width, left, right, line = NARROW_WIDTH, 14, 14, 38
    else:
        texts = [f"{label} ({RATE_SHORT.get(m, m)})" for label, m, _v in rows]
        left = int(16 + _CHAR_PX * max([len(t) for t in texts] or [10]))
        right, line = 30, 18
        width = left + right + 360
    height = 60 + line * max(len(rows), 1)
    pw = width - left - right

    def px(ratio: float) -> float:
        return left + (math.log(ratio) - lo) / (hi - lo) * pw

    outside = [
        f"{label} {RATE_SHORT.get(m, m)} {v:.2f}"
        for label, m, v in rows
        if not band["low"] <= v <= band["high"]
    ]
    desc = (
        f"Ratios to the reference group of {', '.join(RATE_SHORT.get(m, m) for m in key)} "
        "for every group large enough "
        f"to judge; the shaded band is {band['low']:g} to {band['high']:g}. "
        + (
            f"Outside the band: {'; '.join(outside)}."
            if outside
            else "Every ratio is within the band."
        )
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">Disparity ratios</title>',
        f'<desc id="{chart_id}-desc">{_e(desc)}</desc>',
        f'<rect x="{px(band["low"]):.1f}" y="20" width="{px(band["high"]) - px(band["low"]):.1f}"'
        f' height="{line * len(rows) + 4}" fill="#e8f1f8"/>',
        f'<line x1="{px(1):.1f}" x2="{px(1):.1f}" y1="20" y2="{24 + line * len(rows)}" '
        'stroke="#505a5f"/>',
    ]
    for t in (0.5, 0.8, 1.0, 1.25, 2.0):
        if lo <= math.log(t) <= hi:
            parts.append(f'<text x="{px(t):.1f}" y="14" text-anchor="middle">{t:g}</text>')
    for i, (label, metric, value) in enumerate(rows):
        mark = _MARKS[key.index(metric) % len(_MARKS)]
        colour = _COLOURS[key.index(metric) % len(_COLOURS)]
        name = f"{label} ({RATE_SHORT.get(metric, metric)})"
        if narrow:
            name = _fit(
                name, (width - left - right) // 7
            )  # the name on a line of its own, the dot below it
            y = 32 + line * i + 20
            text = f'<text x="{left}" y="{y - 14}">{_e(name)}</text>'
        else:
            y = 32 + line * i
            text = f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{_e(name)}</text>'
        parts.append(text + _marker(mark, px(value), y, colour))
    parts.append("</svg>")
    return "".join(parts)
