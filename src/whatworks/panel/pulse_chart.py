"""The pulse series chart: one option's share over time, with its 95% error band, as SVG
coordinates for ``panel/pulse_detail.html``.

Drawn for a phone first: 360 units wide (about as many CSS pixels on a 390 px screen, so
its 14-unit text stays readable), x placed by the date each poll closed, y from 0 to 100%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from whatworks.panel.results import PulsePoint

WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 40, 14, 40


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    share: float
    low: float
    high: float
    label: str  # the date, e.g. "Mar 2026"
    label_y: float


@dataclass(frozen=True)
class PulseChart:
    marks: list[Mark]
    line: str  # polyline points
    band: str  # polygon points (upper edge forward, lower edge back)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM
    top_y: int = TOP
    mid_y: float = TOP + (HEIGHT - BOTTOM - TOP) / 2


def _y(share: float) -> float:
    share = min(max(share, 0.0), 1.0)
    return round(HEIGHT - BOTTOM - share * (HEIGHT - BOTTOM - TOP), 1)


def pulse_chart(points: list[PulsePoint], option: int = 0) -> PulseChart:
    """Coordinates for the share of option ``option`` at each point that has one."""
    shown = [
        p
        for p in points
        if p.poll.closed_at is not None
        and len(p.shares) > option
        and not math.isnan(p.shares[option])
    ]
    times = [p.poll.closed_at.timestamp() for p in shown if p.poll.closed_at]
    start, end = (min(times), max(times)) if times else (0.0, 0.0)
    span = end - start
    marks = []
    for i, p in enumerate(shown):
        closed: datetime = p.poll.closed_at  # type: ignore[assignment]
        if span > 0:
            fraction = (closed.timestamp() - start) / span
        else:
            fraction = 0.5 if len(shown) == 1 else i / max(len(shown) - 1, 1)
        x = round(LEFT + 12 + fraction * (WIDTH - LEFT - RIGHT - 24), 1)
        share = p.shares[option]
        moe = p.moes[option] if len(p.moes) > option and not math.isnan(p.moes[option]) else 0
        marks.append(
            Mark(
                x=x,
                y=_y(share),
                share=share,
                low=max(share - moe, 0.0),
                high=min(share + moe, 1.0),
                label=f"{closed:%b %Y}",
                # alternate the date labels' rows, so that close dates do not overlap
                label_y=HEIGHT - BOTTOM + (18 if i % 2 == 0 else 34),
            )
        )
    line = " ".join(f"{m.x},{m.y}" for m in marks)
    band = " ".join(
        [f"{m.x},{_y(m.high)}" for m in marks] + [f"{m.x},{_y(m.low)}" for m in reversed(marks)]
    )
    return PulseChart(marks=marks, line=line, band=band)
