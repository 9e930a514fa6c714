"""Forest plots: an inline SVG with a text alternative, and the same content as a table.

:func:`forest_svg` draws each study's estimate (a square whose area is proportional to its
weight in the pooled result) with its confidence interval, the pooled estimate as a diamond
and, for random-effects models of three studies or more, the prediction interval as a dashed
line through it; the table and the text alternative say how that interval was computed
(t with ``k - 2`` degrees of freedom) or why there is none.  The
SVG carries a ``<title>`` and a ``<desc>`` (referenced by ``aria-labelledby`` with
``role="img"``) that state the pooled result in words.  :func:`forest_table` returns the
same numbers as rows, for a table alternative next to the figure.

Risk and odds ratios are drawn on a log axis labelled with ratios and shown as ratios in the
table; everything else is shown on its own scale.  Per-study intervals are
``yi +/- z_crit * sqrt(vi)`` at the confidence level of the pooled result.

Rendering uses matplotlib's object-oriented API with the SVG backend (no pyplot, no files);
text is kept as ``<text>`` elements so that it stays selectable and readable by assistive
technology.
"""

from __future__ import annotations

import io
import math
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from scipy import stats

from whatworks_analytics.meta.effect_sizes import EffectSizes, Measure
from whatworks_analytics.meta.pooling import MetaResult, Method

__all__ = [
    "NARROW_PX",
    "ForestRow",
    "ForestTable",
    "describe_forest",
    "forest_svg",
    "forest_table",
]

RowKind = Literal["study", "summary", "prediction"]

_ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_RENDER_LOCK = threading.Lock()
_INK = "#1b2a3a"
_ACCENT = "#9a3412"
_GRID = "#6b7280"
_MAX_PLOT_LABEL = 40


@dataclass(frozen=True)
class ForestRow:
    """One row of a forest plot, on the display scale (ratios for RR and OR).

    ``weight`` (a percentage) is None for the summary rows; ``estimate`` is None for the
    prediction-interval row.
    """

    label: str
    estimate: float | None
    ci_low: float
    ci_high: float
    weight: float | None
    kind: RowKind

    def cells(self, digits: int = 2) -> tuple[str, str, str, str]:
        """The row as text: label, estimate, interval and weight."""
        estimate = "" if self.estimate is None else _number(self.estimate, digits)
        interval = f"{_number(self.ci_low, digits)} to {_number(self.ci_high, digits)}"
        weight = "" if self.weight is None else f"{self.weight:.1f}"
        return (self.label, estimate, interval, weight)


@dataclass(frozen=True)
class ForestTable:
    """The content of a forest plot as a table: caption, header and rows."""

    caption: str
    header: tuple[str, str, str, str]
    rows: tuple[ForestRow, ...]
    digits: int

    def to_rows(self, *, include_header: bool = True) -> list[tuple[str, str, str, str]]:
        """Every row as text, the header first unless ``include_header`` is False."""
        body = [row.cells(self.digits) for row in self.rows]
        return [self.header, *body] if include_header else body


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return "0." + "0" * digits if text == "-0." + "0" * digits else text


def _check(effects: EffectSizes, result: MetaResult, digits: int) -> None:
    if effects.k != result.k or effects.measure.value != result.measure:
        raise ValueError("the effect sizes and the pooled result do not belong together")
    if not 0 <= digits <= 6:
        raise ValueError("digits must be between 0 and 6")


def _scale_label(measure: Measure) -> str:
    return measure.ratio_label or measure.label


def _percent(level: float) -> str:
    return f"{100 * level:g}%"


def forest_table(effects: EffectSizes, result: MetaResult, *, digits: int = 2) -> ForestTable:
    """The forest plot's content as rows: one per study, then the pooled estimate and (for
    random-effects models) the prediction interval.  Values are ratios for RR and OR."""
    _check(effects, result, digits)
    measure = effects.measure
    level = _percent(result.level)
    crit = float(stats.norm.ppf(0.5 + result.level / 2.0))
    half = crit * np.sqrt(effects.vi)
    transform = np.exp if measure.is_ratio else (lambda values: values)
    estimates = transform(effects.yi)
    lows = transform(effects.yi - half)
    highs = transform(effects.yi + half)

    rows = [
        ForestRow(
            label=label,
            estimate=float(estimates[i]),
            ci_low=float(lows[i]),
            ci_high=float(highs[i]),
            weight=result.weights[i],
            kind="study",
        )
        for i, label in enumerate(effects.study)
    ]
    method = Method(result.method)
    pooled = _pooled_display(result)
    rows.append(
        ForestRow(
            label=f"Pooled estimate, {method.label}",
            estimate=pooled[0],
            ci_low=pooled[1],
            ci_high=pooled[2],
            weight=None,
            kind="summary",
        )
    )
    prediction = _prediction_display(result)
    if prediction is not None:
        rows.append(
            ForestRow(
                label=f"{level} prediction interval (t, {result.pi_df} df)",
                estimate=None,
                ci_low=prediction[0],
                ci_high=prediction[1],
                weight=None,
                kind="prediction",
            )
        )
    scale = _scale_label(measure)
    header = ("Study", scale[0].upper() + scale[1:], f"{level} confidence interval", "Weight (%)")
    caption = f"Forest plot data: {scale} by study with the pooled estimate ({method.label}"
    caption += ", Knapp-Hartung)." if result.test == "knha" else ")."
    if result.pi_method is not None:
        caption += f" Prediction interval: {result.pi_method}."
    elif method.is_random and result.pi_note is not None:
        caption += f" No prediction interval: {result.pi_note}."
    return ForestTable(caption=caption, header=header, rows=tuple(rows), digits=digits)


def _pooled_display(result: MetaResult) -> tuple[float, float, float]:
    if result.exp_estimate is not None:
        assert result.exp_ci_low is not None and result.exp_ci_high is not None
        return result.exp_estimate, result.exp_ci_low, result.exp_ci_high
    return result.estimate, result.ci_low, result.ci_high


def _prediction_display(result: MetaResult) -> tuple[float, float] | None:
    if result.pi_low is None or result.pi_high is None:
        return None
    if result.exp_pi_low is not None and result.exp_pi_high is not None:
        return result.exp_pi_low, result.exp_pi_high
    return result.pi_low, result.pi_high


def describe_forest(effects: EffectSizes, result: MetaResult, *, digits: int = 2) -> str:
    """The text alternative of the forest plot: what it shows and the pooled result."""
    _check(effects, result, digits)
    scale = _scale_label(effects.measure)
    level = _percent(result.level)
    method = Method(result.method)
    estimate, low, high = (_number(value, digits) for value in _pooled_display(result))
    noun = "study" if result.k == 1 else "studies"
    parts = [
        f"Forest plot of {result.k} {noun}: each study's {scale} with its {level} confidence "
        "interval, the marker's size showing the study's weight.",
        f"Pooled {scale} ({method.label}): {estimate}, {level} confidence interval "
        f"{low} to {high}.",
    ]
    prediction = _prediction_display(result)
    if prediction is not None:
        parts.append(
            f"{level} prediction interval {_number(prediction[0], digits)} "
            f"to {_number(prediction[1], digits)} ({result.pi_method})."
        )
    elif method.is_random and result.pi_note is not None:
        parts.append(f"No prediction interval: {result.pi_note}.")
    if result.test == "knha":
        parts.append(
            f"The confidence interval uses the Knapp-Hartung adjustment (t with {result.df} "
            "degrees of freedom)."
        )
    if result.omitted:
        parts.append(f"Left out for missing values: {', '.join(result.omitted)}.")
    if result.k > 1:
        parts.append(
            f"Heterogeneity: tau-squared {result.tau2:.3g}, I-squared {result.i2:.1f}%, "
            f"Q {result.q:.2f} on {result.q_df} degrees of freedom (p {_p_value(result.q_p)})."
        )
    if effects.corrected_rows:
        names = ", ".join(effects.study[row - 1] for row in effects.corrected_rows)
        parts.append(f"0.5 was added to every cell of studies with a zero cell: {names}.")
    return " ".join(parts)


def _p_value(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def forest_svg(
    effects: EffectSizes,
    result: MetaResult,
    *,
    title: str | None = None,
    digits: int = 2,
    id_prefix: str | None = None,
    higher_is_better: bool | None = None,
    narrow: bool = False,
) -> str:
    """Render the forest plot as an inline ``<svg>`` element (no XML prolog).

    ``title`` becomes the SVG ``<title>`` (default: "Forest plot: <measure>"); the ``<desc>``
    is :func:`describe_forest`.  ``id_prefix`` makes the element ids unique on a page and
    the output deterministic (a random prefix is used when it is None).
    ``higher_is_better`` (of the outcome) labels the two sides of the axis "Favours
    intervention" and "Favours control"; effects are intervention minus (or over) control.

    The SVG is drawn to be shown at its own size (1 pt = 4/3 CSS px): its smallest text is
    9.5 pt, 12.7 CSS px; a page that must fit it in less room scrolls it sideways rather
    than shrinking the text.  ``narrow`` draws it instead for a phone, :data:`NARROW_PX`
    CSS px wide: each study's name and estimate on a line above its interval, which spans
    the whole width.
    """
    _check(effects, result, digits)
    prefix = id_prefix if id_prefix is not None else f"forest-{uuid.uuid4().hex[:8]}"
    if not _ID_PATTERN.match(prefix):
        raise ValueError("id_prefix must start with a letter and contain only [A-Za-z0-9_-]")
    scale = _scale_label(effects.measure)
    heading = title if title is not None else f"Forest plot: {scale}"
    description = describe_forest(effects, result, digits=digits)

    import matplotlib as mpl

    with _RENDER_LOCK, mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        draw = _render_narrow if narrow else _render
        raw = draw(effects, result, digits=digits, higher_is_better=higher_is_better)
    return _accessible_svg(raw, prefix=prefix, title=heading, description=description)


def _render(
    effects: EffectSizes, result: MetaResult, *, digits: int, higher_is_better: bool | None
) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    table = forest_table(effects, result, digits=digits)
    measure = effects.measure
    k = effects.k
    crit = float(stats.norm.ppf(0.5 + result.level / 2.0))
    half = crit * np.sqrt(effects.vi)
    lows, highs = effects.yi - half, effects.yi + half
    ys = -np.arange(k, dtype=np.float64)
    summary_y = -(k + 0.6)

    labels = [_shorten(label) for label in effects.study]
    label_inches = 0.3 + 0.076 * max(len(label) for label in [*labels, "Pooled estimate"])
    plot_inches, right_inches = 3.6, 2.7
    width = label_inches + plot_inches + right_inches
    favours = higher_is_better is not None
    below = 0.95 if favours else 0.7
    height = 0.28 * (k + 3.2) + below
    figure = Figure(figsize=(width, height))
    FigureCanvasSVG(figure)
    bottom = (below - 0.1) / height
    axes = figure.add_axes(
        (label_inches / width, bottom, plot_inches / width, 1 - bottom - 0.1 / height)
    )

    extremes = [*lows, *highs, result.ci_low, result.ci_high, 0.0]
    if result.pi_low is not None and result.pi_high is not None:
        extremes += [result.pi_low, result.pi_high]
    x_min, x_max = min(extremes), max(extremes)
    pad = 0.05 * (x_max - x_min or 1.0)
    axes.set_xlim(x_min - pad, x_max + pad)
    axes.set_ylim(summary_y - 0.9, 1.1)

    axes.axvline(0.0, color=_GRID, linewidth=0.8, linestyle=(0, (4, 3)))
    axes.hlines(ys, lows, highs, color=_INK, linewidth=1.0)
    weights = np.asarray(result.weights)
    axes.scatter(
        effects.yi, ys, s=12 + 110 * weights / weights.max(), marker="s", color=_INK, zorder=3
    )
    if result.pi_low is not None and result.pi_high is not None:
        axes.hlines(
            [summary_y], [result.pi_low], [result.pi_high], color=_ACCENT, linestyle="--", lw=1
        )
    diamond = Polygon(
        [
            (result.ci_low, summary_y),
            (result.estimate, summary_y + 0.35),
            (result.ci_high, summary_y),
            (result.estimate, summary_y - 0.35),
        ],
        closed=True,
        facecolor=_ACCENT,
        edgecolor=_ACCENT,
        zorder=4,
    )
    axes.add_patch(diamond)

    if measure.is_ratio:
        ticks = ratio_ticks(math.exp(x_min - pad), math.exp(x_max + pad))
        axes.xaxis.set_major_locator(FixedLocator([math.log(t) for t in ticks]))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{math.exp(x):g}"))
        axes.set_xlabel(f"{table.header[1]} (log scale)", parse_math=False, fontsize=10)
    else:
        axes.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        axes.set_xlabel(table.header[1], parse_math=False, fontsize=10)
    axes.tick_params(axis="x", labelsize=9.5, colors=_INK)
    if favours:
        right_is_intervention = bool(higher_is_better)
        sides = ("Favours control", "Favours intervention")
        left_text, right_text = sides if right_is_intervention else sides[::-1]
        below_axis = -(below - 0.12) / (height * axes.get_position().height)
        axes.text(0.0, below_axis, f"\u2190 {left_text}", transform=axes.transAxes,
                  ha="left", va="bottom", fontsize=9.5, color=_INK, parse_math=False)  # fmt: skip
        axes.text(1.0, below_axis, f"{right_text} \u2192", transform=axes.transAxes,
                  ha="right", va="bottom", fontsize=9.5, color=_INK, parse_math=False)  # fmt: skip
    axes.set_yticks([])
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)

    text_style: dict[str, Any] = {
        "fontsize": 9.5,
        "color": _INK,
        "va": "center",
        "parse_math": False,
    }
    left = axes.get_yaxis_transform()  # x in axes fraction, y in data
    estimate_x = 1 + 0.15 / plot_inches
    weight_x = 1 + (right_inches - 0.1) / plot_inches
    rows: list[tuple[str, float, ForestRow]] = [
        *zip(labels, ys.tolist(), table.rows[:k], strict=True)
    ]
    summary = table.rows[k]
    rows.append(("Pooled estimate", summary_y, summary))
    for label, y, row in rows:
        weight_text = row.cells(digits)[3]
        estimate_text = f"{row.cells(digits)[1]} [{_number(row.ci_low, digits)}, "
        estimate_text += f"{_number(row.ci_high, digits)}]"
        bold = "bold" if row.kind == "summary" else "normal"
        axes.text(-0.03, y, label, transform=left, ha="right", fontweight=bold, **text_style)
        axes.text(estimate_x, y, estimate_text, transform=left, ha="left", **text_style)
        axes.text(weight_x, y, weight_text, transform=left, ha="right", **text_style)
    header_style: dict[str, Any] = {**text_style, "fontweight": "bold"}
    axes.text(-0.03, 0.9, "Study", transform=left, ha="right", **header_style)
    axes.text(
        estimate_x,
        0.9,
        f"Estimate [{_percent(result.level)} CI]",
        transform=left,
        ha="left",
        **header_style,
    )
    axes.text(weight_x, 0.9, "Weight %", transform=left, ha="right", **header_style)

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


#: The width, in CSS px, that narrow charts are drawn for (a 390-px phone's content column).
NARROW_PX = 310
_PT_PER_INCH = 72.0
_CSS_PX_PER_PT = 4.0 / 3.0
#: Average advance of a DejaVu Sans character, as a share of the font size (for fitting).
_CHAR_EM = 0.58
#: The average advance of a number such as "0.24 [0.18, 0.31]" (digits, spaces, commas).
_DIGIT_EM = 0.52


def narrow_inches() -> float:
    """The figure width, in inches, that renders :data:`NARROW_PX` CSS px wide."""
    return NARROW_PX / _CSS_PX_PER_PT / _PT_PER_INCH


def fit_text(text: str, *, inches: float, fontsize: float) -> str:
    """``text`` shortened at a word, with an ellipsis, to fit ``inches`` at ``fontsize`` pt."""
    room = int(inches * _PT_PER_INCH / (fontsize * _CHAR_EM))
    if len(text) <= room:
        return text
    cut = text[: max(room - 1, 1)]
    if " " in cut.strip():
        cut = cut.rstrip()[: cut.rstrip().rfind(" ")]
    return cut.rstrip(" ,;:") + "\u2026"


def _render_narrow(
    effects: EffectSizes, result: MetaResult, *, digits: int, higher_is_better: bool | None
) -> str:
    """The phone layout: a header line, then per study a text line (name left, estimate
    and interval right) over its interval; the pooled estimate last; the axis below."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    table = forest_table(effects, result, digits=digits)
    measure = effects.measure
    k = effects.k
    fontsize = 9.5
    line = fontsize * 1.45 / _PT_PER_INCH  # inches per text line
    crit = float(stats.norm.ppf(0.5 + result.level / 2.0))
    half = crit * np.sqrt(effects.vi)
    lows, highs = effects.yi - half, effects.yi + half
    # y in text lines, growing downwards: header at 0, study i's text at 1 + 2i and its
    # interval at 1.85 + 2i; the pooled estimate's text and diamond after the last study.
    text_ys = [1.0 + 2 * i for i in range(k + 1)]
    mark_ys = [y + 0.85 for y in text_ys]
    units = mark_ys[-1] + 0.8
    width = narrow_inches()
    margin = 0.12
    favours = higher_is_better is not None
    below = (3.3 if favours else 2.3) * line
    height = units * line + below + 0.08
    figure = Figure(figsize=(width, height))
    FigureCanvasSVG(figure)
    plot_w = width - 2 * margin
    axes = figure.add_axes((margin / width, below / height, plot_w / width, units * line / height))

    extremes = [*lows, *highs, result.ci_low, result.ci_high, 0.0]
    if result.pi_low is not None and result.pi_high is not None:
        extremes += [result.pi_low, result.pi_high]
    x_min, x_max = min(extremes), max(extremes)
    pad = 0.06 * (x_max - x_min or 1.0)
    axes.set_xlim(x_min - pad, x_max + pad)
    axes.set_ylim(units, -0.6)

    ys = np.asarray(mark_ys[:k])
    summary_y = mark_ys[k]
    axes.axvline(0.0, color=_GRID, linewidth=0.8, linestyle=(0, (4, 3)))
    axes.hlines(ys, lows, highs, color=_INK, linewidth=1.0)
    weights = np.asarray(result.weights)
    axes.scatter(
        effects.yi, ys, s=10 + 70 * weights / weights.max(), marker="s", color=_INK, zorder=3
    )
    if result.pi_low is not None and result.pi_high is not None:
        axes.hlines(
            [summary_y], [result.pi_low], [result.pi_high], color=_ACCENT, linestyle="--", lw=1
        )
    diamond = Polygon(
        [
            (result.ci_low, summary_y),
            (result.estimate, summary_y - 0.4),
            (result.ci_high, summary_y),
            (result.estimate, summary_y + 0.4),
        ],
        closed=True,
        facecolor=_ACCENT,
        edgecolor=_ACCENT,
        zorder=4,
    )
    axes.add_patch(diamond)

    if measure.is_ratio:
        ticks = ratio_ticks(math.exp(x_min - pad), math.exp(x_max + pad))
        if len(ticks) > 5:  # thin them out, keeping 1 (no effect) among them
            step = math.ceil(len(ticks) / 5)
            one = min(range(len(ticks)), key=lambda i: abs(ticks[i] - 1.0))
            ticks = [t for i, t in enumerate(ticks) if (i - one) % step == 0]
        axes.xaxis.set_major_locator(FixedLocator([math.log(t) for t in ticks]))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{math.exp(x):g}"))
        x_label = f"{table.header[1]} (log scale)"
    else:
        axes.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))
        x_label = table.header[1]
    axes.set_xlabel(
        fit_text(x_label, inches=plot_w, fontsize=fontsize),
        parse_math=False,
        fontsize=fontsize,
        labelpad=2,
    )
    axes.tick_params(axis="x", labelsize=fontsize, colors=_INK, pad=2)
    if favours:
        sides = ("Favours control", "Favours intervention")
        left_text, right_text = sides if higher_is_better else sides[::-1]
        y_axes = -(below - 0.04) / (units * line)
        for x, text, align in (
            (0.0, f"\u2190 {left_text}", "left"),
            (1.0, f"{right_text} \u2192", "right"),
        ):
            axes.text(
                x,
                y_axes,
                text,
                transform=axes.transAxes,
                ha=align,
                va="bottom",
                fontsize=fontsize,
                color=_INK,
                parse_math=False,
            )
    axes.set_yticks([])
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)

    style: dict[str, Any] = {
        "fontsize": fontsize,
        "color": _INK,
        "va": "baseline",
        "parse_math": False,
        "transform": axes.get_yaxis_transform(),
    }
    header = f"Estimate [{_percent(result.level)} CI]"
    axes.text(0.0, 0.0, "Study", ha="left", fontweight="bold", **style)
    axes.text(1.0, 0.0, header, ha="right", fontweight="bold", **style)
    names = [*effects.study, "Pooled estimate"]
    for name, y, row in zip(names, text_ys, table.rows[: k + 1], strict=True):
        estimate = (
            f"{row.cells(digits)[1]} [{_number(row.ci_low, digits)}, "
            f"{_number(row.ci_high, digits)}]"
        )
        room = plot_w - (len(estimate) + 1.5) * fontsize * _DIGIT_EM / _PT_PER_INCH
        bold = "bold" if row.kind == "summary" else "normal"
        axes.text(
            0.0,
            y,
            fit_text(name, inches=room, fontsize=fontsize),
            ha="left",
            fontweight=bold,
            **style,
        )
        axes.text(1.0, y, estimate, ha="right", fontweight=bold, **style)

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


#: Candidate ticks of a ratio axis, coarse to fine; the first with three or more in range wins.
_RATIO_TICK_SETS = (
    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0),
    (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0),
    (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0),
    (0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.25),
    (0.9, 0.92, 0.94, 0.96, 0.98, 1.0, 1.02, 1.04, 1.06, 1.08, 1.1),
)


def ratio_ticks(low: float, high: float) -> list[float]:
    """Ticks for a log-scale ratio axis from ``low`` to ``high``: at least three when the
    range allows, and never more than seven (so that the labels do not overlap)."""
    best: list[float] = []
    for candidates in _RATIO_TICK_SETS:
        ticks = [t for t in candidates if low <= t <= high]
        if len(ticks) > 7:
            ticks = ticks[:: math.ceil(len(ticks) / 7)]
        if len(ticks) > len(best):
            best = ticks
        if len(ticks) >= 3:
            return ticks
    return best


def _shorten(label: str) -> str:
    return label if len(label) <= _MAX_PLOT_LABEL else label[: _MAX_PLOT_LABEL - 1] + "…"


def _accessible_svg(raw: str, *, prefix: str, title: str, description: str) -> str:
    """Drop the XML prolog and metadata; add role, aria-labelledby, <title> and <desc>."""
    svg = raw[raw.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    tag_end = svg.index(">")
    labelled_by = quoteattr(f"{prefix}-title {prefix}-desc")
    opening = f'{svg[:tag_end]} role="img" aria-labelledby={labelled_by}>'
    text = (
        f"\n <title id={quoteattr(prefix + '-title')}>{escape(title)}</title>"
        f"\n <desc id={quoteattr(prefix + '-desc')}>{escape(description)}</desc>"
    )
    return opening + text + svg[tag_end + 1 :]
