"""Waves of a study: pair each member's answers across waves by pseudonym; change per site."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from whatworks.panel import analytics
from whatworks.panel.models import Answer, Poll, Question, Response, Study
from whatworks.panel.results import MIN_CELL, _score


@dataclass
class WaveChange:
    pre: Poll
    post: Poll
    measure: str
    pairs: int
    sites: list[analytics.SiteChange] = field(default_factory=list)
    suppressed_sites: int = 0


def _scores(poll: Poll, question: Question) -> dict[str, tuple[str, float]]:
    """pseudonym -> (site, score) for complete responses."""
    out = {}
    for pseudonym, site, value in (
        Answer.objects.filter(question=question, response__status=Response.Status.COMPLETE)
        .exclude(response__successor__status=Response.Status.COMPLETE)
        .values_list("response__pseudonym", "response__site", "value")
    ):
        score = _score(question, value)
        if not math.isnan(score):
            out[pseudonym] = (site or "not given", score)
    return out


def _measure(poll: Poll) -> dict[str, Question]:
    found = {}
    for q in poll.questions.select_related("scale").prefetch_related("scale__items"):
        if q.kind == Question.Kind.MATRIX and q.scale_id is not None:
            found[f"scale:{q.scale_id}"] = q
        elif q.kind == Question.Kind.NUMBER:
            found[f"text:{q.text}"] = q
    return found


def wave_change(study: Study) -> WaveChange | None:
    """First against last wave, on the first measure both share (a scale, or a number)."""
    waves = list(study.waves.order_by("wave"))
    if len(waves) < 2:
        return None
    pre, post = waves[0], waves[-1]
    before, after = _measure(pre), _measure(post)
    common = [key for key in before if key in after]
    if not common:
        return None
    q_pre, q_post = before[common[0]], after[common[0]]
    first, second = _scores(pre, q_pre), _scores(post, q_post)
    pairs = [
        {"site": first[p][0], "pre": first[p][1], "post": second[p][1]}
        for p in sorted(first.keys() & second.keys())
    ]
    changes = analytics.site_changes(pairs)
    shown = [c for c in changes if c.n >= MIN_CELL]
    return WaveChange(
        pre=pre,
        post=post,
        measure=q_pre.scale.name if q_pre.scale is not None else q_pre.text,
        pairs=len(pairs),
        sites=shown,
        suppressed_sites=len(changes) - len(shown),
    )


# --- the result bundle for the research registry ---------------------------------------

#: The registry's result-bundle schema (``docs/results-bundle.md``).
BUNDLE_SCHEMA = "whatworks.results/1"
STATISTIC = "mean change"
INTERVAL = "95% paired t interval"


def overall_change(change: WaveChange) -> analytics.SiteChange | None:
    """The change across every paired member: the "all" row, or the only site's."""
    for row in change.sites:
        if row.site == "all":
            return row
    return change.sites[0] if len(change.sites) == 1 else None


def _fmt(value: float) -> str:
    return f"{value:+.2f}"


def change_note(change: WaveChange) -> str:
    """The per-site changes in words (aggregates only; suppressed sites are only counted)."""
    parts = [
        f"{change.measure}: wave {change.pre.wave} to wave {change.post.wave}, "
        f"{change.pairs} people who answered both waves, linked by pseudonym."
    ]
    sites = [c for c in change.sites if c.site != "all"]
    if sites:
        parts.append(
            "Per site: "
            + "; ".join(
                f"{c.site} {_fmt(c.mean_change)} ({_fmt(c.ci_low)} to {_fmt(c.ci_high)}, n={c.n})"
                for c in sites
            )
            + "."
        )
    if change.suppressed_sites:
        parts.append(
            f"{change.suppressed_sites} site(s) with fewer than {MIN_CELL} people not shown."
        )
    note = " ".join(parts)
    return note if len(note) <= 2000 else note[:1997] + "..."


def change_bundle(
    change: WaveChange, *, project_reference: str, protocol_version: int, outcome: str
) -> dict[str, object]:
    """The registry's result bundle for one pre-registered outcome from a wave change.

    The estimate is the mean change (post minus pre) over every paired member, with its 95%
    paired t interval; the per-site changes travel in the note.  Raises ``ValueError`` when
    there is no change to report (too few pairs, or no interval).
    """
    main = overall_change(change)
    if main is None:
        raise ValueError("There is no change across the study to report.")
    values = (main.mean_change, main.ci_low, main.ci_high)
    if not all(math.isfinite(v) for v in values):
        raise ValueError("The change has no interval: too few people answered both waves.")
    summary = (
        f"Between wave {change.pre.wave} and wave {change.post.wave}, {change.measure} changed "
        f"by {_fmt(main.mean_change)} on average ({INTERVAL} {_fmt(main.ci_low)} to "
        f"{_fmt(main.ci_high)}) among the {main.n} people who answered both waves."
    )
    bundle: dict[str, object] = {
        "schema": BUNDLE_SCHEMA,
        "project": project_reference,
        "protocol_version": protocol_version,
        "summary": summary,
        "results": [
            {
                "outcome": outcome,
                "statistic": STATISTIC,
                "estimate": float(main.mean_change),
                "lower": float(main.ci_low),
                "upper": float(main.ci_high),
                "interval": INTERVAL,
                "n": main.n,
                "note": change_note(change),
            }
        ],
    }
    closed = change.post.closed_at
    if closed is not None:
        bundle["data_collection_ended"] = closed.date().isoformat()
    return bundle
