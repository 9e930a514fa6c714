"""The one adapter between the Evidence Store and ``whatworks_analytics.meta``.

Only plain dataclasses and numpy arrays cross this boundary, never ORM objects: the
services turn findings into :class:`RawStats` / :class:`PoolRow`, and get
:class:`ComputedEffect`, :class:`~whatworks_analytics.meta.MetaResult`, SVG text and
:class:`~whatworks_analytics.meta.ForestTable` back.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from whatworks_analytics.meta import (
    FUNNEL_MIN_STUDIES,
    EffectSizes,
    ForestTable,
    Measure,
    MetaInputError,
    MetaResult,
    Method,
    Test,
    dominant_study,
    egger_test,
    forest_svg,
    forest_table,
    funnel_svg,
    generic,
    hedges_g,
    leave_one_out,
    log_odds_ratio,
    log_risk_ratio,
    pool,
    rank_correlation_test,
    trim_and_fill,
)

# Re-exported for the headlines: a pooled ratio applied to a baseline risk, and Cohen's U3.
from whatworks_analytics.meta.absolute import risk_with as risk_with
from whatworks_analytics.meta.absolute import u3 as u3

# Re-exported for the selectors: the fewest studies for a prediction interval, and why not.
from whatworks_analytics.meta.pooling import PI_MIN_STUDIES as PI_MIN_STUDIES
from whatworks_analytics.meta.pooling import PI_TOO_FEW as PI_TOO_FEW

Z95 = 1.959963984540054
METHODS: tuple[str, ...] = (Method.FE.value, Method.DL.value, Method.REML.value)
#: Random-effects pools of fewer studies than this use the Knapp-Hartung adjustment: with
#: few studies the z test's interval is too narrow (IntHout et al., 2014, BMC Med Res
#: Methodol 14:25); from this many on the z test is used, as metafor's default.
KNAPP_HARTUNG_BELOW = 10


@dataclass(frozen=True)
class RawStats:
    """What a study reports for one finding.  Which fields are needed depends on ``measure``:
    SMD means, SDs and group sizes; RR and OR events and group sizes; GENERIC the effect
    size and its standard error."""

    measure: str
    n_treatment: float | None = None
    n_control: float | None = None
    mean_treatment: float | None = None
    sd_treatment: float | None = None
    mean_control: float | None = None
    sd_control: float | None = None
    events_treatment: float | None = None
    events_control: float | None = None
    effect_size: float | None = None
    se: float | None = None


@dataclass(frozen=True)
class ComputedEffect:
    """An effect size on the pooling scale (log scale for RR and OR) with its 95% CI."""

    effect_size: float
    se: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class EffectProblem:
    """A problem with the statistics of the ``index``-th input (counting from 0)."""

    index: int
    field: str | None
    message: str


class EffectInputError(ValueError):
    def __init__(self, problems: Sequence[EffectProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


#: Analytics column name -> our field name, for reporting problems.
_FIELD_NAMES = {
    "m1": "mean_treatment",
    "sd1": "sd_treatment",
    "n1": "n_treatment",
    "m2": "mean_control",
    "sd2": "sd_control",
    "n2": "n_control",
    "ai": "events_treatment",
    "bi": "n_treatment",
    "ci": "events_control",
    "di": "n_control",
    "yi": "effect_size",
    "vi": "se",
}


def _array(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _effects_for(measure: Measure, rows: list[RawStats]) -> EffectSizes:
    if measure is Measure.SMD:
        return hedges_g(
            m1=_array([r.mean_treatment for r in rows]),
            sd1=_array([r.sd_treatment for r in rows]),
            n1=_array([r.n_treatment for r in rows]),
            m2=_array([r.mean_control for r in rows]),
            sd2=_array([r.sd_control for r in rows]),
            n2=_array([r.n_control for r in rows]),
            missing="error",
        )
    if measure in (Measure.RR, Measure.OR):
        ai = _array([r.events_treatment for r in rows])
        ci = _array([r.events_control for r in rows])
        bi = _array([r.n_treatment for r in rows]) - ai
        di = _array([r.n_control for r in rows]) - ci
        function = log_risk_ratio if measure is Measure.RR else log_odds_ratio
        return function(ai=ai, bi=bi, ci=ci, di=di, missing="error")
    se = _array([r.se for r in rows])
    return generic(yi=_array([r.effect_size for r in rows]), vi=se**2, missing="error")


def compute_effects(stats: Sequence[RawStats]) -> list[ComputedEffect]:
    """Effect sizes for every input, computed per measure in vectorised calls.

    Raises :class:`EffectInputError` listing every problem with the index of its input.
    """
    groups: dict[Measure, list[int]] = defaultdict(list)
    problems: list[EffectProblem] = []
    for index, row in enumerate(stats):
        try:
            groups[Measure(row.measure)].append(index)
        except ValueError:
            problems.append(EffectProblem(index, "measure_type", "unknown effect size type"))
    results: dict[int, ComputedEffect] = {}
    for measure, indices in groups.items():
        rows = [stats[i] for i in indices]
        try:
            effects = _effects_for(measure, rows)
        except MetaInputError as error:
            for problem in error.problems:
                index = indices[problem.row - 1] if problem.row else indices[0]
                field = _FIELD_NAMES.get(problem.column or "", problem.column)
                problems.append(EffectProblem(index, field, problem.message))
            continue
        for position, index in enumerate(indices):
            y = float(effects.yi[position])
            se = math.sqrt(float(effects.vi[position]))
            results[index] = ComputedEffect(y, se, y - Z95 * se, y + Z95 * se)
    if problems:
        raise EffectInputError(sorted(problems, key=lambda p: (p.index, p.field or "")))
    return [results[i] for i in range(len(stats))]


@dataclass(frozen=True)
class PoolRow:
    """One study's effect size (pooling scale) and standard error, with its label."""

    label: str
    effect_size: float
    se: float


def effect_sizes(measure: str, rows: Sequence[PoolRow]) -> EffectSizes:
    return EffectSizes(
        measure=Measure(measure),
        study=tuple(r.label for r in rows),
        yi=np.array([r.effect_size for r in rows], dtype=np.float64),
        vi=np.array([r.se**2 for r in rows], dtype=np.float64),
    )


def choose_test(method: str, k: int) -> Test:
    """Knapp-Hartung for random-effects pools of 2 to ``KNAPP_HARTUNG_BELOW - 1`` studies."""
    random = Method(method).is_random
    return Test.KNHA if random and 2 <= k < KNAPP_HARTUNG_BELOW else Test.Z


def pool_all(measure: str, rows: Sequence[PoolRow]) -> dict[str, MetaResult]:
    """Fixed-effect, DerSimonian-Laird and REML results for the rows (random effects with
    the Knapp-Hartung adjustment when there are few studies, see :func:`choose_test`)."""
    effects = effect_sizes(measure, rows)
    return {
        method: pool(effects, method=method, test=choose_test(method, effects.k))
        for method in METHODS
    }


def sensitivity(
    measure: str, rows: Sequence[PoolRow], result: MetaResult, *, title: str, id_prefix: str
) -> dict[str, object]:
    """What pages show beside the forest plot when it matters: a funnel plot with Egger's
    test, the rank correlation test and trim-and-fill from ``FUNNEL_MIN_STUDIES`` studies
    up, and a leave-one-out table when one study carries most of the weight."""
    effects = effect_sizes(measure, rows)
    extra: dict[str, object] = {}
    method, test = result.method, result.test
    if effects.k >= FUNNEL_MIN_STUDIES:
        egger = egger_test(effects, method=method, test=test)
        rank = rank_correlation_test(effects)
        filled = trim_and_fill(effects, method=method)
        drawn = {
            narrow: funnel_svg(
                effects,
                result,
                egger=egger,
                rank=rank,
                filled=filled,
                title=title,
                id_prefix=f"{id_prefix}-n" if narrow else id_prefix,
                narrow=narrow,
            )
            for narrow in (False, True)
        }
        extra["funnel"] = {
            "svg": csp_safe_svg(drawn[False]),
            # the phone drawing (docs/interface.md, "Charts"); shown in place of "svg" there
            "narrow_svg": csp_safe_svg(drawn[True]),
            "egger_p": egger.p,
            "rank_p": rank.p,
            "trim_and_fill_k0": filled.k0,
            "trim_and_fill_side": filled.side,
            "trim_and_fill_estimate": filled.result.estimate,
        }
    dominant = dominant_study(effects, result)
    if dominant is not None:
        extra["leave_one_out"] = {
            "dominant_study": dominant,
            "rows": [row.to_dict() for row in leave_one_out(effects, method=method, test=test)],
        }
    return extra


def forest(
    measure: str,
    rows: Sequence[PoolRow],
    result: MetaResult,
    *,
    title: str,
    id_prefix: str,
    higher_is_better: bool | None = None,
) -> tuple[str, ForestTable]:
    """The forest plot as inline SVG (its sides saying what they favour) and its table."""
    effects = effect_sizes(measure, rows)
    svg = forest_svg(
        effects, result, title=title, id_prefix=id_prefix, higher_is_better=higher_is_better
    )
    return csp_safe_svg(svg), forest_table(effects, result)


def forest_narrow(
    measure: str,
    rows: Sequence[PoolRow],
    result: MetaResult,
    *,
    title: str,
    id_prefix: str,
    higher_is_better: bool | None = None,
) -> str:
    """The forest plot drawn for a phone (docs/interface.md, "Charts"), as inline SVG."""
    effects = effect_sizes(measure, rows)
    svg = forest_svg(
        effects,
        result,
        title=title,
        id_prefix=f"{id_prefix}-n",
        higher_is_better=higher_is_better,
        narrow=True,
    )
    return csp_safe_svg(svg)


_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"\s*<defs>\s*<style[^>]*>.*?</style>\s*</defs>", re.DOTALL)


def _presentation_attributes(match: re.Match[str]) -> str:
    attributes = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            attributes.append(f' {name.strip()}="{html.escape(value.strip(), quote=True)}"')
    return "".join(attributes)


def csp_safe_svg(svg: str) -> str:
    """The SVG without inline CSS, which the Content-Security-Policy (``style-src 'self'``)
    blocks: ``style`` attributes become SVG presentation attributes, and the one
    ``<style>`` element (default line joins and caps) moves onto the root element."""
    svg = _STYLE_ELEMENT.sub("", svg, count=1)
    svg = _STYLE_ATTRIBUTE.sub(_presentation_attributes, svg)
    return svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)


def display_value(measure: str, value: float) -> float:
    """A value on the pooling scale as people read it (ratios for RR and OR)."""
    return math.exp(value) if Measure(measure).is_ratio else value
