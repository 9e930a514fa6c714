"""Disparity ratios to a reference group, the tolerance band and the too-small rule.

For a metric ``m`` (a rate from :mod:`.metrics`), a group ``g`` of an attribute and that
attribute's reference group ``r``, the disparity ratio is::

    ratio(g, m) = m(g) / m(r)

It is undefined (``None``) when either rate is undefined or ``m(r) = 0`` -- both ``0 / 0`` and
``x / 0`` -- so nothing infinite or NaN ever reaches a report.  A ratio is *within the band*
when ``low <= ratio <= high``; the default band ``[0.8, 1.25]`` is the "four-fifths rule" made
symmetric (``1.25 = 1 / 0.8``).

A judgement is only made where the numbers can bear it.  With ``min_group_size`` ``N`` and
``min_denominator`` ``D`` (:class:`SizeRule`), ``within_band`` is ``None`` (not judged) when the
group or the reference has ``n < N``, when either's denominator for the metric (positives for
FNR, negatives for FPR, flagged for precision/FDR, unflagged for NPV/FOR) is below ``D``, or
when the ratio is undefined.  A group is *too small* when ``n < N`` or when the denominator of
any of the audit's key metrics is below ``D``; a group that is too small is judged on no
metric (``within_band`` is ``None`` for all), so that nothing the table calls "too small to
judge" can decide, or unsettle, a verdict.

The reference of an attribute is chosen by a :class:`ReferenceRule`: the largest group (the
default; ties broken by name), a named group, or, metric by metric, the eligible group with the
lowest value (ties broken by size, then name).  "Eligible" means judgeable under the size rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from whatworks_analytics.fairness.metrics import DENOMINATORS, GroupCounts

__all__ = [
    "DISPARITY_METRICS",
    "AttributeDisparities",
    "Band",
    "GroupDisparities",
    "MetricDisparity",
    "ReferenceRule",
    "SizeRule",
    "compare_groups",
    "disparity_ratio",
    "parse_reference_option",
    "select_reference",
]

#: The metrics compared with the reference.  The base rate is a property of the population,
#: not of the tool, so it is reported but never judged.
DISPARITY_METRICS: Final[tuple[str, ...]] = (
    "selection_rate",
    "fpr",
    "fnr",
    "precision",
    "npv",
    "fdr",
    "for",
)

ReferenceKind = Literal["largest", "lowest", "named"]


@dataclass(frozen=True, kw_only=True)
class Band:
    """The tolerance band ``[low, high]`` for disparity ratios; it must contain 1."""

    low: float = 0.8
    high: float = 1.25

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("the band limits must be finite numbers")
        if not 0 < self.low <= 1 <= self.high:
            raise ValueError(
                f"the band must satisfy 0 < LOW <= 1 <= HIGH, got {self.low:g}-{self.high:g}"
            )

    @classmethod
    def parse(cls, text: str) -> Band:
        """Parse ``"LOW-HIGH"``, e.g. ``"0.8-1.25"``."""
        low_text, sep, high_text = text.strip().partition("-")
        if not sep:
            raise ValueError(f"the band must be written LOW-HIGH, e.g. 0.8-1.25; got {text!r}")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            raise ValueError(
                f"the band must be written LOW-HIGH with numbers, e.g. 0.8-1.25; got {text!r}"
            ) from None
        return cls(low=low, high=high)

    def contains(self, ratio: float) -> bool:
        """``low <= ratio <= high``."""
        return self.low <= ratio <= self.high

    def to_dict(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high}


@dataclass(frozen=True, kw_only=True)
class SizeRule:
    """When a group (or one of its rates) is too small to judge; see the module docstring."""

    min_group_size: int = 50
    min_denominator: int = 20

    def __post_init__(self) -> None:
        if self.min_group_size < 1:
            raise ValueError("the minimum group size must be at least 1")
        if self.min_denominator < 1:
            raise ValueError("the minimum denominator must be at least 1")

    def large_enough(self, counts: GroupCounts) -> bool:
        """``n >= min_group_size``."""
        return counts.n >= self.min_group_size

    def judgeable(self, counts: GroupCounts, metric: str) -> bool:
        """The group is large enough and the metric's denominator is ``>= min_denominator``."""
        return self.large_enough(counts) and counts.denominator(metric) >= self.min_denominator

    def reasons(self, counts: GroupCounts, metrics: Sequence[str]) -> tuple[str, ...]:
        """Why the group is too small to judge on ``metrics`` (empty when it is not)."""
        out: list[str] = []
        if not self.large_enough(counts):
            out.append(f"n = {counts.n} is below the minimum group size {self.min_group_size}")
        by_population: dict[str, list[str]] = {}
        for metric in metrics:
            population = DENOMINATORS[metric]
            if population != "n" and counts.denominator(metric) < self.min_denominator:
                by_population.setdefault(population, []).append(metric)
        for population, names in by_population.items():
            size = getattr(counts, population)
            out.append(
                f"{population} = {size} is below the minimum {self.min_denominator} "
                f"for {', '.join(names)}"
            )
        return tuple(out)

    def to_dict(self) -> dict[str, int]:
        return {"min_group_size": self.min_group_size, "min_denominator": self.min_denominator}


@dataclass(frozen=True, kw_only=True)
class ReferenceRule:
    """How an attribute's reference group is chosen: largest, lowest (per metric) or named."""

    kind: ReferenceKind = "largest"
    group: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("largest", "lowest", "named"):
            raise ValueError(f"unknown reference rule {self.kind!r}")
        if (self.kind == "named") != (self.group is not None):
            raise ValueError("a group is given exactly when the reference rule is 'named'")

    @classmethod
    def parse(cls, text: str) -> ReferenceRule:
        """``"largest"`` and ``"lowest"`` are rules; anything else names a group."""
        if text == "largest":
            return cls(kind="largest")
        if text == "lowest":
            return cls(kind="lowest")
        if not text:
            raise ValueError("the reference group must not be empty")
        return cls(kind="named", group=text)

    def describe(self) -> str:
        if self.kind == "named":
            return f"the named group {self.group!r}"
        if self.kind == "lowest":
            return "for each metric, the eligible group with the lowest value"
        return "the largest group"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.kind, "group": self.group}


def parse_reference_option(text: str) -> tuple[str, ReferenceRule]:
    """Parse a ``--reference ATTRIBUTE=GROUP`` value (split at the first ``=``)."""
    attribute, sep, group = text.partition("=")
    attribute, group = attribute.strip(), group.strip()
    if not sep or not attribute or not group:
        raise ValueError(
            f"--reference must be written ATTRIBUTE=GROUP (GROUP may be 'largest' or "
            f"'lowest'); got {text!r}"
        )
    return attribute, ReferenceRule.parse(group)


def disparity_ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference``; ``None`` if either is undefined or ``reference`` is 0."""
    if value is None or reference is None:
        return None
    if not (math.isfinite(value) and math.isfinite(reference)) or reference == 0:
        return None
    return value / reference


def select_reference(
    groups: Sequence[GroupCounts], *, rule: ReferenceRule, metric: str, size_rule: SizeRule
) -> str | None:
    """The reference group's name for ``metric`` under ``rule`` (``None`` if none eligible).

    Raises ``KeyError`` when a named group does not exist among ``groups``.
    """
    if rule.kind == "named":
        names = [g.group for g in groups]
        if rule.group not in names:
            raise KeyError(rule.group)
        return rule.group
    if not groups:
        return None
    if rule.kind == "largest":
        return min(groups, key=lambda g: (-g.n, g.group)).group
    candidates = [
        (value, -g.n, g.group)
        for g in groups
        if size_rule.judgeable(g, metric) and (value := g.rate(metric)) is not None
    ]
    return min(candidates)[2] if candidates else None


@dataclass(frozen=True, kw_only=True)
class MetricDisparity:
    """One metric of one group compared with the reference."""

    metric: str
    value: float | None
    reference_group: str | None
    reference_value: float | None
    ratio: float | None
    within_band: bool | None
    note: str | None = None
    #: ``value - reference_value`` (``None`` if either is undefined); never judged by the
    #: band, which is a band of ratios.
    difference: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": self.value,
            "reference_group": self.reference_group,
            "reference_value": self.reference_value,
            "ratio": self.ratio,
            "difference": self.difference,
            "within_band": self.within_band,
            "note": self.note,
        }


@dataclass(frozen=True, kw_only=True)
class GroupDisparities:
    """A group's counts, its disparities for every compared metric and its size verdict."""

    counts: GroupCounts
    disparities: tuple[MetricDisparity, ...]
    too_small: bool
    too_small_reasons: tuple[str, ...] = ()

    def disparity(self, metric: str) -> MetricDisparity:
        for item in self.disparities:
            if item.metric == metric:
                return item
        raise KeyError(metric)

    def ratios(self) -> dict[str, float | None]:
        return {item.metric: item.ratio for item in self.disparities}

    def differences(self) -> dict[str, float | None]:
        return {item.metric: item.difference for item in self.disparities}

    def within_band(self) -> dict[str, bool | None]:
        return {item.metric: item.within_band for item in self.disparities}

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.counts.to_dict(),
            "disparity": self.ratios(),
            "difference": self.differences(),
            "within_band": self.within_band(),
            "too_small": self.too_small,
            "too_small_reasons": list(self.too_small_reasons),
        }


@dataclass(frozen=True, kw_only=True)
class AttributeDisparities:
    """Every group of one attribute (or intersection) compared with its reference."""

    attribute: str
    rule: ReferenceRule
    references: Mapping[str, str | None]
    groups: tuple[GroupDisparities, ...]
    notes: tuple[str, ...] = field(default=())

    def group(self, name: str) -> GroupDisparities:
        for item in self.groups:
            if item.counts.group == name:
                return item
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            **self.rule.to_dict(),
            "reference_groups": dict(self.references),
            "notes": list(self.notes),
        }


def _judge(
    group: GroupCounts,
    reference: GroupCounts | None,
    metric: str,
    *,
    band: Band,
    size_rule: SizeRule,
) -> MetricDisparity:
    value = group.rate(metric)
    if reference is None:
        return MetricDisparity(
            metric=metric,
            value=value,
            reference_group=None,
            reference_value=None,
            ratio=None,
            within_band=None,
            note="no group is eligible to be the reference",
        )
    reference_value = reference.rate(metric)
    ratio = disparity_ratio(value, reference_value)
    difference = None if value is None or reference_value is None else value - reference_value
    note: str | None = None
    if not size_rule.judgeable(group, metric):
        note = "group too small to judge"
    elif not size_rule.judgeable(reference, metric):
        note = "reference group too small to judge against"
    elif ratio is None:
        note = "ratio undefined (the reference rate is 0)"
    within = None if note is not None or ratio is None else band.contains(ratio)
    return MetricDisparity(
        metric=metric,
        value=value,
        reference_group=reference.group,
        reference_value=reference_value,
        ratio=ratio,
        within_band=within,
        note=note,
        difference=difference,
    )


def compare_groups(
    groups: Sequence[GroupCounts],
    *,
    rule: ReferenceRule | None = None,
    band: Band | None = None,
    size_rule: SizeRule | None = None,
    metrics: Sequence[str] = DISPARITY_METRICS,
    key_metrics: Sequence[str] = DISPARITY_METRICS,
) -> AttributeDisparities:
    """Compare each group of one attribute with the attribute's reference group.

    ``key_metrics`` decide the group-level ``too_small`` verdict (see the module docstring).
    Raises ``KeyError`` if ``rule`` names a group that is not among ``groups`` and
    ``ValueError`` if the groups belong to different attributes.
    """
    rule = rule or ReferenceRule()
    band = band or Band()
    size_rule = size_rule or SizeRule()
    attributes = {g.attribute for g in groups}
    if len(attributes) > 1:
        raise ValueError(f"groups of several attributes were given: {sorted(attributes)}")
    attribute = attributes.pop() if attributes else ""
    by_name = {g.group: g for g in groups}
    references = {
        metric: select_reference(groups, rule=rule, metric=metric, size_rule=size_rule)
        for metric in metrics
    }
    notes: list[str] = []
    for metric, name in references.items():
        if name is None:
            notes.append(f"{metric}: no group is large enough to be the reference")
            continue
        reference = by_name[name]
        if not size_rule.judgeable(reference, metric):
            notes.append(
                f"{metric}: the reference group {name!r} is too small to judge against "
                f"(n = {reference.n}, {DENOMINATORS[metric]} = {reference.denominator(metric)})"
            )
        elif reference.rate(metric) == 0:
            notes.append(
                f"{metric}: the reference group {name!r} has a rate of 0, so ratios are undefined"
            )
    compared = []
    for g in groups:
        reasons = size_rule.reasons(g, key_metrics)
        judged = tuple(
            _judge(
                g,
                by_name[name] if (name := references[m]) is not None else None,
                m,
                band=band,
                size_rule=size_rule,
            )
            for m in metrics
        )
        if reasons:
            # A group the table calls too small is judged on no metric at all, so that no
            # verdict rests on it (a ratio is still shown, marked not judged).
            judged = tuple(
                replace(d, within_band=None, note="group too small to judge") for d in judged
            )
        compared.append(
            GroupDisparities(
                counts=g, disparities=judged, too_small=bool(reasons), too_small_reasons=reasons
            )
        )
    return AttributeDisparities(
        attribute=attribute,
        rule=rule,
        references=references,
        groups=tuple(compared),
        notes=tuple(notes),
    )
