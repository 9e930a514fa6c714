"""Features of each decision point, from facts dated strictly before it.

Leakage is impossible by construction: every history feature is a count of *dated facts* of
the same child, read through one primitive, :func:`_counts_before`, an as-of join that for a
decision on date ``d`` sees only facts dated ``< d`` (``allow_exact_matches=False``)::

    count_before(kind, d) = #{ facts f of the child of kind `kind` : f.date < d }
    count_in_window(kind, d, w) = count_before(kind, d) - count_before(kind, d - w)

The facts and their dates:

==========================  ================  =================================================
fact                        dated by          feature(s)
==========================  ================  =================================================
referral                    referral_date     ``prior_referrals`` (all time and per window),
                                              ``days_since_last_referral``
referral closed with NFA    referral_date     ``prior_nfa`` (the NFA of *earlier* referrals
                                              only; the current referral's NFA is an outcome
                                              of the decision and never a feature)
assessment started          start_date        ``prior_assessments``
assessment completed        end_date          ``prior_factor_<code>`` (factors are known when
                                              the assessment is completed)
s47 enquiry started         start_date        ``prior_s47``
plan started / ended        start / end_date  ``prior_cp_plans``, ``on_cp_plan`` (started
                                              minus ended before ``d`` is positive)
care episode started/ended  start / end_date  ``prior_looked_after``, ``looked_after_now``
==========================  ================  =================================================

Plus facts known at ``d`` itself: ``age_years`` (from the birth month) and the referral's
``source`` (one-hot).  Sex, ethnicity and disability are kept beside the matrix for the
fairness audit and become features only when the config lists them in
``features.protected``.

The as-of joins are vectorised over all decision points at once: the facts are aggregated
per ``(child_id, date)``, cumulated per child, and each decision reads the last cumulative
row dated before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl
from numpy.typing import NDArray

from whatworks_analytics.pilots.config import Features
from whatworks_analytics.pilots.schema import (
    DISABILITY_CODES,
    ETHNICITY_CODES,
    FACTOR_CODES,
    REFERRAL_SOURCE_CODES,
    SEX_CODES,
)
from whatworks_analytics.pilots.validate import PilotDataset

_NO_PRIOR_DAYS = 3650.0
_PROTECTED_CODES = {"sex": SEX_CODES, "ethnicity": ETHNICITY_CODES, "disability": DISABILITY_CODES}


@dataclass(frozen=True, kw_only=True)
class FeatureMatrix:
    """The features of decision points, row-aligned with ``referral_ids``."""

    referral_ids: tuple[str, ...]
    names: tuple[str, ...]
    values: NDArray[np.float64]

    def column(self, name: str) -> NDArray[np.float64]:
        column: NDArray[np.float64] = self.values[:, self.names.index(name)]
        return column


def _facts(dataset: PilotDataset, *, factors: bool) -> pl.DataFrame:
    """Every dated fact as ``(child_id, date, <kind columns of 0/1>)``."""
    kinds: list[pl.DataFrame] = []

    def add(frame: pl.DataFrame, date_col: str, **columns: pl.Expr) -> None:
        kinds.append(
            frame.filter(pl.col(date_col).is_not_null()).select(
                "child_id",
                pl.col(date_col).alias("date"),
                *(e.alias(k) for k, e in columns.items()),
            )
        )

    one = pl.lit(1, dtype=pl.Int32)
    add(dataset.referrals, "referral_date", referrals=one, nfa=pl.col("nfa").cast(pl.Int32))
    add(dataset.assessments, "start_date", assessments=one)
    if factors:
        codes = [c.code for c in FACTOR_CODES]
        completed = dataset.assessments.filter(pl.col("end_date").is_not_null())
        add(
            completed,
            "end_date",
            **{
                f"factor_{code}": pl.col("factors").list.contains(pl.lit(code)).cast(pl.Int32)
                for code in codes
            },
        )
    add(dataset.s47_enquiries, "start_date", s47=one)
    add(dataset.child_protection_plans, "start_date", cp_plans=one)
    add(dataset.child_protection_plans, "end_date", cp_plans_ended=one)
    add(dataset.looked_after_episodes, "start_date", looked_after=one)
    add(dataset.looked_after_episodes, "end_date", looked_after_ended=one)
    facts = pl.concat(kinds, how="diagonal").fill_null(0)
    value_cols = [c for c in facts.columns if c not in ("child_id", "date")]
    # Cumulative counts per child: a global running sum minus its value where the child's
    # rows begin (much faster than a window expression over the child).
    values = pl.col(value_cols)
    first = (pl.col("child_id") != pl.col("child_id").shift(1)).fill_null(True)
    offset = pl.when(first).then(values.shift(1).fill_null(0)).otherwise(None).forward_fill()
    return (
        facts.group_by("child_id", "date")
        .agg(values.sum())
        .sort("child_id", "date")
        .with_columns(values.cum_sum())
        .with_columns(values - offset)
        .sort("date")
    )


def _counts_before(
    points: pl.DataFrame, cumulative: pl.DataFrame, *, on: str, columns: list[str]
) -> pl.DataFrame:
    """For each point, the cumulative counts of facts dated strictly before ``points[on]``.

    ``points`` has ``row`` and ``child_id`` and the date column ``on``; the result has ``row``
    and ``columns`` (0 when the child has no earlier fact).
    """
    joined = (
        points.select("row", "child_id", on)
        .sort(on)
        .join_asof(
            cumulative.select("child_id", pl.col("date").alias("__fact_date"), *columns),
            left_on=on,
            right_on="__fact_date",
            by="child_id",
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
    )
    return joined.select("row", *(pl.col(c).fill_null(0) for c in columns)).sort("row")


def _last_referral(points: pl.DataFrame, referrals: pl.DataFrame) -> pl.Series:
    dates = (
        referrals.select("child_id", pl.col("referral_date").alias("__last"))
        .unique()
        .sort("__last")
    )
    joined = (
        points.select("row", "child_id", "decision_date")
        .sort("decision_date")
        .join_asof(
            dates,
            left_on="decision_date",
            right_on="__last",
            by="child_id",
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .sort("row")
    )
    days = (joined["decision_date"] - joined["__last"]).dt.total_days().cast(pl.Float64)
    return days.fill_null(_NO_PRIOR_DAYS).clip(upper_bound=_NO_PRIOR_DAYS)


def build_features(points: pl.DataFrame, dataset: PilotDataset, spec: Features) -> FeatureMatrix:
    """The feature matrix of ``points`` (from :func:`.labels.decision_points`).

    Row ``i`` of the matrix is ``points`` row ``i``.  See the module docstring for the
    features and why none can see a fact dated on or after its decision point.
    """
    points = points.with_row_index("row")
    facts = _facts(dataset, factors=spec.factors)
    count_cols = [c for c in facts.columns if c not in ("child_id", "date")]
    now = _counts_before(points, facts, on="decision_date", columns=count_cols)
    columns: dict[str, pl.Series] = {}
    columns["prior_referrals"] = now["referrals"]
    for window in sorted(spec.referral_windows_days):
        shifted = points.with_columns(
            (pl.col("decision_date") - timedelta(days=window)).alias("__from")
        )
        then = _counts_before(shifted, facts, on="__from", columns=["referrals"])
        columns[f"prior_referrals_{window}d"] = now["referrals"] - then["referrals"]
    columns["days_since_last_referral"] = _last_referral(points, dataset.referrals)
    columns["prior_nfa"] = now["nfa"]
    columns["prior_assessments"] = now["assessments"]
    columns["prior_s47"] = now["s47"]
    columns["prior_cp_plans"] = now["cp_plans"]
    columns["on_cp_plan"] = (now["cp_plans"] - now["cp_plans_ended"] > 0).cast(pl.Int32)
    columns["prior_looked_after"] = now["looked_after"]
    columns["looked_after_now"] = (now["looked_after"] - now["looked_after_ended"] > 0).cast(
        pl.Int32
    )
    if spec.factors:
        for code in (c.code for c in FACTOR_CODES):
            columns[f"prior_factor_{code}"] = now[f"factor_{code}"]
    columns["age_years"] = points["age_years"]
    source = points["source"].cast(pl.String)
    for code in (c.code for c in REFERRAL_SOURCE_CODES):
        columns[f"source_{code}"] = (source == code).cast(pl.Int32)
    for attribute in spec.protected:
        values = points[attribute].cast(pl.String)
        for code in (c.code for c in _PROTECTED_CODES[attribute]):
            columns[f"{attribute}_{code}"] = (values == code).cast(pl.Int32)
    names = tuple(columns)
    matrix = np.column_stack([columns[name].cast(pl.Float64).to_numpy() for name in names]).astype(
        np.float64, copy=False
    )
    return FeatureMatrix(
        referral_ids=tuple(points["referral_id"].to_list()),
        names=names,
        values=np.ascontiguousarray(matrix),
    )


def age_band(age_years: pl.Expr) -> pl.Expr:
    """DfE age bands at the decision point: unborn, under 1, 1-4, 5-9, 10-15, 16 and over
    (as in the children in need census; a negative age is a pre-birth referral)."""
    return (
        pl.when(age_years < 0)
        .then(pl.lit("unborn"))
        .when(age_years < 1)
        .then(pl.lit("under_1"))
        .when(age_years < 5)
        .then(pl.lit("1_to_4"))
        .when(age_years < 10)
        .then(pl.lit("5_to_9"))
        .when(age_years < 16)
        .then(pl.lit("10_to_15"))
        .otherwise(pl.lit("16_plus"))
    )


#: One-hot families: every column ``<prefix>_<code>`` is one fact, shuffled together by
#: permutation importance and named by the fact.
_ONE_HOT = {"source": "source", "sex": "sex", "ethnicity": "ethnicity", "disability": "disability"}
_ONE_HOT_CODES = {
    "source": REFERRAL_SOURCE_CODES,
    **_PROTECTED_CODES,
}


def feature_groups(names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The features as a person names them: each column alone, except the one-hot columns
    of one fact (``source_police``, ``source_schools``...), which form one feature
    (``source``).  In matrix order of each group's first column."""
    groups: dict[str, list[str]] = {}
    for name in names:
        group = name
        for prefix, fact in _ONE_HOT.items():
            codes = {c.code for c in _ONE_HOT_CODES[prefix]}
            if name.startswith(f"{prefix}_") and name[len(prefix) + 1 :] in codes:
                group = fact
        groups.setdefault(group, []).append(name)
    return {group: tuple(columns) for group, columns in groups.items()}


_DEFINITIONS = {
    "prior_referrals": "Referrals of the same child before this one (all time in the data).",
    "days_since_last_referral": (
        "Days since the child's previous referral (3,650 when there was none, or it was "
        "longer ago)."
    ),
    "prior_nfa": "Earlier referrals of the child that were closed with no further action.",
    "prior_assessments": "Assessments of the child started before this referral.",
    "prior_s47": "Section 47 (child protection) enquiries about the child before this referral.",
    "prior_cp_plans": "Child protection plans the child had before this referral.",
    "on_cp_plan": "Whether the child was on a child protection plan on the referral date.",
    "prior_looked_after": "Episodes of care (being looked after) before this referral.",
    "looked_after_now": "Whether the child was looked after on the referral date.",
    "age_years": "The child's age in years on the referral date (from the birth month).",
    "source": "Who made the referral (police, school, health...).",
    "sex": "The child's recorded sex (used as a feature only because the config says so).",
    "ethnicity": "The child's recorded ethnicity (a feature only because the config says so).",
    "disability": "Whether the child is recorded as disabled (a feature only by the config).",
}
_FACTOR_LABELS = {c.code: c.label for c in FACTOR_CODES}


def feature_definition(name: str) -> str:
    """What a feature (or feature group) means, in words, with when it is known: every
    fact is dated strictly before the referral, except the age and source, known on it."""
    if name in _DEFINITIONS:
        return _DEFINITIONS[name]
    if name.startswith("prior_referrals_") and name.endswith("d"):
        days = name[len("prior_referrals_") : -1]
        if days.isdigit():
            return f"Referrals of the same child in the {int(days):,} days before this one."
    if name.startswith("prior_factor_"):
        code = name[len("prior_factor_") :]
        if code in _FACTOR_LABELS:
            return (
                f"Completed earlier assessments of the child that recorded the factor "
                f"'{_FACTOR_LABELS[code]}'."
            )
    return name.replace("_", " ")


def feature_label(name: str) -> str:
    """A short name for a feature: ``prior_factor_neglect`` -> "Earlier assessments:
    neglect"; ``prior_referrals_365d`` -> "Referrals in the previous 365 days"."""
    short = {
        "prior_referrals": "Earlier referrals",
        "days_since_last_referral": "Days since the last referral",
        "prior_nfa": "Earlier referrals closed with no further action",
        "prior_assessments": "Earlier assessments",
        "prior_s47": "Earlier section 47 enquiries",
        "prior_cp_plans": "Earlier child protection plans",
        "on_cp_plan": "On a child protection plan now",
        "prior_looked_after": "Earlier episodes of care",
        "looked_after_now": "Looked after now",
        "age_years": "Age",
        "source": "Referral source",
        "sex": "Sex",
        "ethnicity": "Ethnicity",
        "disability": "Disability",
    }
    if name in short:
        return short[name]
    if name.startswith("prior_referrals_") and name.endswith("d"):
        days = name[len("prior_referrals_") : -1]
        if days.isdigit():
            return f"Referrals in the previous {int(days):,} days"
    if name.startswith("prior_factor_"):
        code = name[len("prior_factor_") :]
        if code in _FACTOR_LABELS:
            return f"Earlier assessments: {_FACTOR_LABELS[code].lower()}"
    return name.replace("_", " ")
