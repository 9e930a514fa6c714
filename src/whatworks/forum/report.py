"""Turn a stored analysis run into what the report pages show, and draw the opinion map.

The map is hand-written SVG (no script, so the Content-Security-Policy holds), with a
``<title>`` and ``<desc>`` naming every group and its size; each group has its own colour
*and* marker shape, so the map can be read without colour.  All text is escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from whatworks.forum.models import AnalysisRun, Statement

#: Okabe-Ito colours (safe for the common colour-vision deficiencies), one per group.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
SHAPES = ("circle", "square", "triangle", "diamond", "cross")
WIDTH, HEIGHT, PAD = 480, 360, 24


def group_label(group_id: int) -> str:
    return _("Group %(letter)s") % {"letter": chr(ord("A") + group_id % 26)}


#: The per-group bars' width (SVG units) and the colours of agree, disagree and pass
#: (Okabe-Ito; every bar also says its counts in words).
BAR_WIDTH = 200
VOTE_COLOURS = {"agree": "#009E73", "disagree": "#D55E00", "pass": "#B1B4B6"}


class _VoteShares:
    """Agree, disagree and pass as whole percentages of those who saw the statement."""

    n_agree: int
    n_disagree: int
    n_pass: int
    n_seen: int

    def percent(self, n: int) -> int:
        return round(100 * n / self.n_seen) if self.n_seen else 0

    @property
    def agree_percent(self) -> int:
        return self.percent(self.n_agree)

    @property
    def disagree_percent(self) -> int:
        return self.percent(self.n_disagree)

    @property
    def pass_percent(self) -> int:
        return self.percent(self.n_pass)


@dataclass
class GroupVotes(_VoteShares):
    """One group's latest votes on one statement, and the bar that shows them."""

    label: str
    colour: str
    n_agree: int
    n_disagree: int
    n_pass: int
    n_seen: int

    def _width(self, n: int) -> float:
        return round(BAR_WIDTH * n / self.n_seen, 1) if self.n_seen else 0.0

    @property
    def agree_width(self) -> float:
        return self._width(self.n_agree)

    @property
    def disagree_width(self) -> float:
        return self._width(self.n_disagree)

    @property
    def pass_width(self) -> float:
        return max(round(BAR_WIDTH - self.agree_width - self.disagree_width, 1), 0.0)

    @property
    def disagree_x(self) -> float:
        return self.agree_width

    @property
    def pass_x(self) -> float:
        return round(self.agree_width + self.disagree_width, 1)


@dataclass
class StatementRow(_VoteShares):
    number: int
    text: str
    status: str
    is_meta: bool
    n_agree: int = 0
    n_disagree: int = 0
    n_pass: int = 0
    n_seen: int = 0
    groups: list[GroupVotes] = field(default_factory=list)


@dataclass
class GroupView:
    id: int
    label: str
    size: int
    colour: str
    shape: str
    representative: list[dict[str, Any]] = field(default_factory=list)


#: How many statements of group-informed consensus the report lists (as for consensus).
MAX_GROUP_CONSENSUS = 5


@dataclass
class GroupShare:
    label: str
    n_agree: int
    n_seen: int

    @property
    def percent(self) -> int:
        return round(100 * self.n_agree / self.n_seen) if self.n_seen else 0


@dataclass
class CommonGround:
    """A statement of group-informed consensus: ``consensus`` is the product over groups of
    the pseudo-counted chance ``(A + 1) / (S + 2)`` that a member of the group agrees."""

    number: int
    text: str
    consensus: float
    groups: list[GroupShare]


@dataclass
class Report:
    run: AnalysisRun | None
    statements: list[StatementRow]
    groups: list[GroupView]
    common_ground: list[CommonGround]
    consensus_agree: list[dict[str, Any]]
    consensus_disagree: list[dict[str, Any]]
    n_placed: int
    n_participants: int
    svg: SafeString | None


def _with_text(
    items: list[dict[str, Any]], texts: dict[int, str], *, side: str | None = None
) -> list[dict[str, Any]]:
    """Items with their statement's text and the share that matches their side: a
    representative item says its side (``repful_for``, ``n_success``); a consensus item's side
    is the list it is in (``side``), so a majority that disagrees shows its disagree share."""
    out = []
    for item in items:
        tid = int(item["tid"])
        if tid in texts:
            repful_for = side or item.get("repful_for", "agree")
            n_seen = int(item.get("n_seen", 0))
            if side is None and "n_success" in item:
                n_success = int(item["n_success"])
            else:
                n_success = int(item.get(f"n_{repful_for}", 0))
            out.append(
                {
                    **item,
                    "repful_for": repful_for,
                    "text": texts[tid],
                    "percent": round(100 * n_success / n_seen) if n_seen else 0,
                }
            )
    return out


def _common_ground(
    items: list[dict[str, Any]], texts: dict[int, str], labels: dict[int, str]
) -> list[CommonGround]:
    """Group-informed consensus, best first, keeping the statements that a majority of every
    group is likely to agree with (each group's ``p_agree`` above one half): the product alone
    ranks, but a low product is no common ground, and the report says so rather than list it."""
    out = []
    for item in items:
        tid = int(item["tid"])
        shares = item.get("groups", [])
        if tid not in texts or not shares or len(shares) < len(labels):
            continue
        if not all(float(g["p_agree"]) > 0.5 for g in shares):
            continue
        out.append(
            CommonGround(
                number=tid,
                text=texts[tid],
                consensus=float(item["consensus"]),
                groups=[
                    GroupShare(
                        label=labels.get(int(g["group"]), group_label(int(g["group"]))),
                        n_agree=int(g["n_agree"]),
                        n_seen=int(g["n_seen"]),
                    )
                    for g in shares
                ],
            )
        )
        if len(out) == MAX_GROUP_CONSENSUS:
            break
    return out


def build_report(
    *, run: AnalysisRun | None, statements: list[Statement], highlight: int | None = None
) -> Report:
    """Groups with sizes and representative statements, group-informed consensus (common
    ground), majority views over all participants, the statement table."""
    texts = {s.number: s.text for s in statements}
    result = run.result if run else {}
    counts = result.get("counts", {})
    rows = []
    for s in statements:
        c = counts.get(str(s.number), {})
        rows.append(
            StatementRow(
                number=s.number,
                text=s.text,
                status=s.get_status_display(),
                is_meta=s.is_meta,
                n_agree=int(c.get("n_agree", 0)),
                n_disagree=int(c.get("n_disagree", 0)),
                n_pass=int(c.get("n_pass", 0)),
                n_seen=int(c.get("n_seen", 0)),
            )
        )
    analysis = result.get("analysis") or {}
    groups = []
    for index, group in enumerate(analysis.get("groups", [])):
        gid = int(group["id"])
        groups.append(
            GroupView(
                id=gid,
                label=group_label(gid),
                size=len(group["members"]),
                colour=COLOURS[index % len(COLOURS)],
                shape=SHAPES[index % len(SHAPES)],
                representative=_with_text(
                    analysis.get("representative", {}).get(str(gid), []), texts
                ),
            )
        )
    by_group = result.get("group_counts", {})
    style = {g.id: g for g in groups}
    for row in rows:
        row.groups = [
            GroupVotes(
                label=style[int(g["group"])].label,
                colour=style[int(g["group"])].colour,
                n_agree=int(g["n_agree"]),
                n_disagree=int(g["n_disagree"]),
                n_pass=int(g["n_pass"]),
                n_seen=int(g["n_seen"]),
            )
            for g in by_group.get(str(row.number), [])
            if int(g["group"]) in style
        ]
    consensus = analysis.get("consensus", {})
    positions = result.get("positions", {})
    placed = sum(1 for p in positions.values() if p["group"] >= 0)
    svg = (
        opinion_map_svg(positions=positions, groups=groups, highlight=highlight) if groups else None
    )
    return Report(
        run=run,
        statements=rows,
        groups=groups,
        common_ground=_common_ground(
            analysis.get("group_informed_consensus", []) if groups else [],
            texts,
            {g.id: g.label for g in groups},
        ),
        consensus_agree=_with_text(consensus.get("agree", []), texts, side="agree"),
        consensus_disagree=_with_text(consensus.get("disagree", []), texts, side="disagree"),
        n_placed=placed,
        n_participants=int(result.get("n_participants", 0)),
        svg=svg,
    )


def _marker(shape: str, x: float, y: float, r: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"/>'
    if shape == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
            f'fill="{colour}"/>'
        )
    if shape == "triangle":
        corners = [(x, y - r * 1.2), (x - r * 1.1, y + r), (x + r * 1.1, y + r)]
    elif shape == "diamond":
        corners = [(x, y - r * 1.3), (x + r * 1.3, y), (x, y + r * 1.3), (x - r * 1.3, y)]
    else:
        w = r * 0.45
        return (
            f'<path d="M{x - r:.1f} {y - w:.1f}h{r - w:.1f}v{-(r - w):.1f}h{2 * w:.1f}v{r - w:.1f}'
            f"h{r - w:.1f}v{2 * w:.1f}h{-(r - w):.1f}v{r - w:.1f}h{-2 * w:.1f}v{-(r - w):.1f}"
            f'h{-(r - w):.1f}z" fill="{colour}"/>'
        )
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in corners)
    return f'<polygon points="{points}" fill="{colour}"/>'


def opinion_map_svg(
    *, positions: dict[str, dict[str, Any]], groups: list[GroupView], highlight: int | None = None
) -> SafeString:
    """Each placed participant as a marker in their group's colour and shape; ``highlight``
    (a participant id) is ringed and labelled "You"."""
    style = {g.id: g for g in groups}
    placed = [(int(pid), p) for pid, p in positions.items() if p["group"] in style]
    xs = [p["x"] for _, p in placed] or [0.0]
    ys = [p["y"] for _, p in placed] or [0.0]
    span_x = max(max(xs) - min(xs), 1e-9)
    span_y = max(max(ys) - min(ys), 1e-9)

    def to_screen(x: float, y: float) -> tuple[float, float]:
        sx = PAD + (x - min(xs)) / span_x * (WIDTH - 2 * PAD)
        sy = HEIGHT - PAD - (y - min(ys)) / span_y * (HEIGHT - 2 * PAD)
        return sx, sy

    sizes = ", ".join(
        _("%(label)s: %(n)d people") % {"label": g.label, "n": g.size} for g in groups
    )
    title = _("Opinion map of %(n)d placed participants in %(k)d groups") % {
        "n": len(placed),
        "k": len(groups),
    }
    desc = _(
        "Each mark is one participant, placed by their votes so that people who vote alike "
        "are close together. The axes have no units. %(sizes)s."
    ) % {"sizes": sizes}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="opinion-map" role="img" aria-labelledby="map-title map-desc">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<desc id="map-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff" stroke="#b1b4b6"/>',
        f'<line x1="{WIDTH / 2}" y1="{PAD / 2}" x2="{WIDTH / 2}" y2="{HEIGHT - PAD / 2}" '
        'stroke="#dddddd"/>',
        f'<line x1="{PAD / 2}" y1="{HEIGHT / 2}" x2="{WIDTH - PAD / 2}" y2="{HEIGHT / 2}" '
        'stroke="#dddddd"/>',
    ]
    radius = 3.5 if len(placed) < 2000 else 2.0
    you = None
    for pid, p in placed:
        g = style[p["group"]]
        x, y = to_screen(p["x"], p["y"])
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        parts.append(_marker(g.shape, x, y, radius, g.colour))
        if pid == highlight:
            you = (x, y)
    if you is not None:
        x, y = you
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="none" stroke="#0b0c0c" '
            'stroke-width="3"/>'
        )
        anchor = "end" if x > WIDTH - 60 else "start"
        dx = -12 if anchor == "end" else 12
        parts.append(
            f'<text x="{x + dx:.1f}" y="{y + 5:.1f}" text-anchor="{anchor}" font-size="17" '
            f'font-weight="700" fill="#0b0c0c">{escape(_("You"))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def legend_marker_svg(group: GroupView) -> SafeString:
    """A small marker for the legend beside the map (decorative: the label says it)."""
    body = _marker(group.shape, 8, 8, 5, group.colour)
    return mark_safe(  # noqa: S308 - no user text
        f'<svg class="legend-marker" viewBox="0 0 16 16" width="16" height="16" '
        f'aria-hidden="true" focusable="false">{body}</svg>'
    )
