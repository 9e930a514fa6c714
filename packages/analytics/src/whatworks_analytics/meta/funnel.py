"""Funnel plots: an inline SVG with a text alternative.

:func:`funnel_svg` draws each study's effect (x) against its standard error (y, 0 at the top,
as metafor's ``funnel()``), the pooled estimate as a vertical line and the pseudo-confidence
region ``estimate +/- z_crit * se`` as a triangle.  Studies filled in by trim-and-fill are
drawn as open circles.  The SVG carries a ``<title>`` and a ``<desc>`` (referenced by
``aria-labelledby`` with ``role="img"``): :func:`describe_funnel`, which states what the
plot shows and, when given, the results of Egger's test, the rank correlation test and
trim-and-fill in words.  Ratios are drawn on a log axis labelled with ratios.

Rendering uses matplotlib's object-oriented API with the SVG backend, as the forest plot.
"""

from __future__ import annotations

import io
import math
import uuid

import numpy as np
from scipy import stats

from whatworks_analytics.meta.bias import EggerTest, RankTest, TrimAndFill
from whatworks_analytics.meta.effect_sizes import EffectSizes
from whatworks_analytics.meta.forest import (
    _ACCENT,
    _GRID,
    _ID_PATTERN,
    _INK,
    _RENDER_LOCK,
    _accessible_svg,
    _number,
    _p_value,
    _scale_label,
    narrow_inches,
    ratio_ticks,
)
from whatworks_analytics.meta.pooling import MetaResult, Method

__all__ = ["FUNNEL_MIN_STUDIES", "describe_funnel", "funnel_svg"]

#: Below ten studies a funnel plot (and the tests for its asymmetry) says little
#: (Sterne et al., 2011, *BMJ* 343:d4002); pages show one from ten studies up.
FUNNEL_MIN_STUDIES = 10


def _display(measure_is_ratio: bool, value: float) -> float:
    return math.exp(value) if measure_is_ratio else value


def describe_funnel(
    effects: EffectSizes,
    result: MetaResult,
    *,
    egger: EggerTest | None = None,
    rank: RankTest | None = None,
    filled: TrimAndFill | None = None,
    digits: int = 2,
) -> str:
    """The text alternative of the funnel plot."""
    scale = _scale_label(effects.measure)
    ratio = effects.measure.is_ratio
    pooled = _number(_display(ratio, result.estimate), digits)
    parts = [
        f"Funnel plot of {effects.k} studies: each study's {scale} against its standard error, "
        "the most precise studies at the top, with the pooled estimate "
        f"({Method(result.method).label}) {pooled} as a vertical line and the region where "
        f"{100 * result.level:g}% of studies would fall without heterogeneity or bias as a "
        "triangle.",
    ]
    if egger is not None:
        parts.append(f"Egger's regression test for funnel plot asymmetry: p {_p_value(egger.p)}.")
    if rank is not None:
        parts.append(f"Rank correlation test: Kendall's tau {rank.tau:.3f}, p {_p_value(rank.p)}.")
    if filled is not None:
        if filled.k0 == 0:
            parts.append("Trim-and-fill estimates no missing studies.")
        else:
            noun = "study" if filled.k0 == 1 else "studies"
            adjusted = _number(_display(ratio, filled.result.estimate), digits)
            parts.append(
                f"Trim-and-fill estimates {filled.k0} missing {noun} on the {filled.side} "
                f"(open circles); with them the pooled {scale} would be {adjusted}."
            )
    return " ".join(parts)


def funnel_svg(
    effects: EffectSizes,
    result: MetaResult,
    *,
    egger: EggerTest | None = None,
    rank: RankTest | None = None,
    filled: TrimAndFill | None = None,
    title: str | None = None,
    id_prefix: str | None = None,
    narrow: bool = False,
) -> str:
    """Render the funnel plot as an inline ``<svg>`` element (no XML prolog).

    ``title`` becomes the SVG ``<title>`` (default: "Funnel plot: <measure>"); the
    ``<desc>`` is :func:`describe_funnel`.  ``id_prefix`` makes the element ids unique on a
    page and the output deterministic.  ``narrow`` draws it for a phone
    (:data:`~whatworks_analytics.meta.forest.NARROW_PX` CSS px wide), with fewer ticks.
    """
    if effects.k != result.k:
        raise ValueError("the effect sizes and the pooled result do not belong together")
    prefix = id_prefix if id_prefix is not None else f"funnel-{uuid.uuid4().hex[:8]}"
    if not _ID_PATTERN.match(prefix):
        raise ValueError("id_prefix must start with a letter and contain only [A-Za-z0-9_-]")
    heading = title if title is not None else f"Funnel plot: {_scale_label(effects.measure)}"
    description = describe_funnel(effects, result, egger=egger, rank=rank, filled=filled)

    import matplotlib as mpl

    with _RENDER_LOCK, mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        raw = _render(effects, result, filled, narrow=narrow)
    return _accessible_svg(raw, prefix=prefix, title=heading, description=description)


def _render(
    effects: EffectSizes, result: MetaResult, filled: TrimAndFill | None, *, narrow: bool
) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    se = np.sqrt(effects.vi)
    extra_y = np.asarray(filled.filled_yi if filled else (), dtype=np.float64)
    extra_se = np.sqrt(np.asarray(filled.filled_vi if filled else (), dtype=np.float64))
    se_max = float(max(se.max(), extra_se.max() if extra_se.size else 0.0)) * 1.05
    crit = float(stats.norm.ppf(0.5 + result.level / 2.0))
    centre = result.estimate

    width, height = (narrow_inches(), 3.2) if narrow else (5.6, 4.2)
    figure = Figure(figsize=(width, height))
    FigureCanvasSVG(figure)
    # margins in inches: tick labels and axis titles at 9.5-10 pt need the same room at
    # either width
    left, bottom, right, top = 0.75, 0.58, 0.15, 0.12
    axes = figure.add_axes(
        (left / width, bottom / height, 1 - (left + right) / width, 1 - (bottom + top) / height)
    )
    axes.fill(
        [centre - crit * se_max, centre, centre + crit * se_max],
        [se_max, 0.0, se_max],
        facecolor="#eef2f7",
        edgecolor=_GRID,
        linewidth=0.8,
    )
    axes.axvline(centre, color=_ACCENT, linewidth=1.2)
    axes.scatter(effects.yi, se, s=22, color=_INK, zorder=3)
    if extra_y.size:
        axes.scatter(extra_y, extra_se, s=22, facecolors="white", edgecolors=_INK, zorder=3)
    values = [*effects.yi, *extra_y, centre - crit * se_max, centre + crit * se_max]
    low, high = min(values), max(values)
    pad = 0.05 * (high - low or 1.0)
    axes.set_xlim(low - pad, high + pad)
    axes.set_ylim(se_max, 0.0)
    scale = _scale_label(effects.measure)
    if effects.measure.is_ratio:
        ticks = ratio_ticks(math.exp(low - pad), math.exp(high + pad))
        if narrow and len(ticks) > 5:  # thin them out, keeping 1 (no effect) among them
            step = math.ceil(len(ticks) / 5)
            one = min(range(len(ticks)), key=lambda i: abs(ticks[i] - 1.0))
            ticks = [t for i, t in enumerate(ticks) if (i - one) % step == 0]
        axes.xaxis.set_major_locator(FixedLocator([math.log(t) for t in ticks]))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{math.exp(x):g}"))
        axes.set_xlabel(f"{scale[0].upper()}{scale[1:]} (log scale)", parse_math=False)
    else:
        if narrow:
            axes.xaxis.set_major_locator(MaxNLocator(nbins=4, min_n_ticks=3))
        axes.set_xlabel(f"{scale[0].upper()}{scale[1:]}", parse_math=False)
    if narrow:
        axes.yaxis.set_major_locator(MaxNLocator(nbins=4, min_n_ticks=3))
    axes.set_ylabel("Standard error", parse_math=False)
    axes.tick_params(labelsize=9.5, colors=_INK)
    for side in ("right", "top"):
        axes.spines[side].set_visible(False)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
