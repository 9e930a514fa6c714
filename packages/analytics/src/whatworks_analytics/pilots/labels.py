"""Decision points and their outcome labels.

A *decision point* is a referral: child ``c`` referred on date ``d``.  Its outcome window is
the ``W`` days ``[d, d + W)``; its label is 1 when any configured outcome event of the same
child starts in the window::

    label(d) = 1  iff  exists event e of child c with  d <= e.date < d + W

Outcome events: ``cp_plan`` (a child protection plan starts), ``looked_after`` (an episode of
care starts), ``s47`` (a section 47 enquiry starts), ``assessment`` (an assessment starts) and
``re_referral`` (another referral, strictly after ``d``).

The extract records events on dates before ``label_end`` (exclusive), so a label is known
only when the whole window is: ``observable = d + W <= label_end``.  Unobservable rows are
kept (with ``observable = False``) so splits can decide what to do with them.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from whatworks_analytics.pilots.config import Cohort, Outcome
from whatworks_analytics.pilots.validate import PilotDataset

_YEAR_DAYS = 365.25


def data_end(dataset: PilotDataset) -> date:
    """The day after the latest date anywhere in the dataset (the default ``label_end``)."""
    latest: list[date] = []
    for _name, frame in dataset.tables():
        for column, dtype in frame.schema.items():
            if dtype == pl.Date and column != "birth_month" and frame.height:
                value = frame.get_column(column).max()
                if isinstance(value, date):
                    latest.append(value)
    if not latest:
        raise ValueError("the dataset has no dates")
    return max(latest) + timedelta(days=1)


def decision_points(dataset: PilotDataset, cohort: Cohort) -> pl.DataFrame:
    """One row per referral in the cohort, sorted by ``(decision_date, referral_id)``.

    Columns: ``referral_id``, ``child_id``, ``decision_date``, ``source``, ``age_years``
    (``(d - birth_month) / 365.25``), ``sex``, ``ethnicity``, ``disability``.
    """
    points = (
        dataset.referrals.join(dataset.children, on="child_id", how="left")
        .with_columns(
            pl.col("referral_date").alias("decision_date"),
            ((pl.col("referral_date") - pl.col("birth_month")).dt.total_days() / _YEAR_DAYS).alias(
                "age_years"
            ),
        )
        .select(
            "referral_id",
            "child_id",
            "decision_date",
            "source",
            "nfa",
            "age_years",
            "sex",
            "ethnicity",
            "disability",
        )
    )
    keep = pl.lit(True)
    if cohort.start is not None:
        keep &= pl.col("decision_date") >= cohort.start
    if cohort.end is not None:
        keep &= pl.col("decision_date") < cohort.end
    if cohort.min_age_years is not None:
        keep &= pl.col("age_years") >= cohort.min_age_years
    if cohort.max_age_years is not None:
        keep &= pl.col("age_years") < cohort.max_age_years
    if cohort.sources is not None:
        keep &= pl.col("source").cast(pl.String).is_in(list(cohort.sources))
    if cohort.exclude_nfa:
        keep &= pl.col("nfa").not_()
    return points.filter(keep).drop("nfa").sort("decision_date", "referral_id")


def outcome_events(dataset: PilotDataset, outcome: Outcome) -> pl.DataFrame:
    """``(child_id, event_date, event_id)`` of every configured outcome event."""
    sources = {
        "cp_plan": (dataset.child_protection_plans, "start_date", "cpp_id"),
        "looked_after": (dataset.looked_after_episodes, "start_date", "episode_id"),
        "s47": (dataset.s47_enquiries, "start_date", "s47_id"),
        "assessment": (dataset.assessments, "start_date", "assessment_id"),
        "re_referral": (dataset.referrals, "referral_date", "referral_id"),
    }
    frames = [
        frame.select(
            "child_id",
            pl.col(column).alias("event_date"),
            pl.col(key).alias("event_id"),
            pl.lit(event).alias("event"),
        )
        for event in outcome.events
        for frame, column, key in [sources[event]]
    ]
    return pl.concat(frames)


def label_points(
    points: pl.DataFrame, dataset: PilotDataset, outcome: Outcome, *, label_end: date
) -> pl.DataFrame:
    """``points`` with ``label`` (Int8 0/1), ``window_end`` and ``observable`` added.

    For ``re_referral`` the decision's own referral never counts (the event must be another
    referral).  Vectorised: the first event on or after ``d`` is found with an as-of join.
    """
    window = timedelta(days=outcome.window_days)
    events = outcome_events(dataset, outcome).sort("event_date")
    # An as-of forward join finds, per decision, the first event on or after d; the decision's
    # own referral is excluded by matching on a strictly later date for re-referrals.
    own = events.filter(pl.col("event") != "re_referral")
    later = events.filter(pl.col("event") == "re_referral")
    base = points.select("referral_id", "child_id", "decision_date").sort("decision_date")
    first = pl.lit(None, dtype=pl.Date)
    firsts: list[pl.Expr] = []
    if own.height:
        hit = base.join_asof(
            own.select("child_id", pl.col("event_date").alias("first_own")),
            left_on="decision_date",
            right_on="first_own",
            by="child_id",
            strategy="forward",
            check_sortedness=False,
        )
        base = hit
        firsts.append(pl.col("first_own"))
    if later.height:
        base = base.join_asof(
            later.select("child_id", pl.col("event_date").alias("first_later")),
            left_on="decision_date",
            right_on="first_later",
            by="child_id",
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        firsts.append(pl.col("first_later"))
    if firsts:
        first = pl.min_horizontal(*firsts)
    labelled = base.select(
        "referral_id",
        (first < pl.col("decision_date") + window).fill_null(False).cast(pl.Int8).alias("label"),
        (pl.col("decision_date") + window).alias("window_end"),
    )
    return points.join(labelled, on="referral_id", how="left").with_columns(
        (pl.col("window_end") <= label_end).alias("observable")
    )
