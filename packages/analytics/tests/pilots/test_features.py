"""Features use only facts dated strictly before the decision point."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from whatworks_analytics.pilots.config import Cohort, Features, Outcome
from whatworks_analytics.pilots.features import FeatureMatrix, build_features
from whatworks_analytics.pilots.labels import decision_points, label_points
from whatworks_analytics.pilots.synth import SynthConfig, generate
from whatworks_analytics.pilots.validate import PilotDataset

SPEC = Features(referral_windows_days=(90, 365))


def _tiny() -> PilotDataset:
    """One child with a hand-written history; a second child as noise."""
    d = date
    frames = {
        "children": pl.DataFrame(
            {
                "child_id": ["C1", "C2"],
                "birth_month": [d(2010, 1, 1), d(2012, 6, 1)],
                "sex": ["female", "male"],
                "ethnicity": ["white", "black"],
                "disability": ["no", "yes"],
            }
        ),
        "referrals": pl.DataFrame(
            {
                "referral_id": ["R1", "R2", "R3", "R4", "R9"],
                "child_id": ["C1", "C1", "C1", "C1", "C2"],
                "referral_date": [
                    d(2018, 1, 10),
                    d(2018, 11, 1),
                    d(2019, 1, 1),
                    d(2019, 1, 1),
                    d(2018, 12, 1),
                ],
                "source": ["police", "schools", "health", "police", "police"],
                "nfa": [True, False, False, False, True],
            }
        ),
        "assessments": pl.DataFrame(
            {
                "assessment_id": ["A2", "A3"],
                "child_id": ["C1", "C1"],
                "referral_id": ["R2", "R3"],
                "start_date": [d(2018, 11, 5), d(2019, 1, 2)],
                "end_date": [d(2018, 12, 31), None],
                "factors": [["neglect", "domestic_violence"], []],
            },
            schema_overrides={"end_date": pl.Date},
        ),
        "s47_enquiries": pl.DataFrame(
            {
                "s47_id": ["S2"],
                "child_id": ["C1"],
                "referral_id": ["R2"],
                "start_date": [d(2018, 12, 1)],
                "end_date": [d(2018, 12, 10)],
                "icpc_date": [d(2018, 12, 20)],
            }
        ),
        "child_protection_plans": pl.DataFrame(
            {
                "cpp_id": ["P1"],
                "child_id": ["C1"],
                "start_date": [d(2018, 12, 20)],
                "end_date": [d(2019, 6, 1)],
                "category": ["neglect"],
            }
        ),
        "looked_after_episodes": pl.DataFrame(
            {
                "episode_id": ["E1"],
                "child_id": ["C1"],
                "start_date": [d(2019, 3, 1)],
                "end_date": [None],
                "legal_status": ["care_order"],
            },
            schema_overrides={"end_date": pl.Date},
        ),
    }
    return PilotDataset.from_frames(frames)


def _row(matrix: FeatureMatrix, referral_id: str) -> dict[str, float]:
    i = matrix.referral_ids.index(referral_id)
    return dict(zip(matrix.names, matrix.values[i].tolist(), strict=True))


def test_hand_written_history() -> None:
    dataset = _tiny()
    points = decision_points(dataset, Cohort())
    matrix = build_features(points, dataset, SPEC)
    r3 = _row(matrix, "R3")
    # R3 on 2019-01-01: R1 and R2 before; R4 is the same day (not before).
    assert r3["prior_referrals"] == 2
    assert r3["prior_referrals_90d"] == 1  # R2 (61 days before)
    assert r3["prior_referrals_365d"] == 2  # R1 is 356 days before
    assert r3["days_since_last_referral"] == 61
    assert r3["prior_nfa"] == 1
    assert r3["prior_assessments"] == 1
    assert r3["prior_factor_neglect"] == 1  # A2 completed 2018-12-31
    assert r3["prior_factor_domestic_violence"] == 1
    assert r3["prior_s47"] == 1
    assert r3["prior_cp_plans"] == 1 and r3["on_cp_plan"] == 1
    assert r3["prior_looked_after"] == 0 and r3["looked_after_now"] == 0
    assert r3["source_health"] == 1 and r3["source_police"] == 0
    assert abs(r3["age_years"] - (date(2019, 1, 1) - date(2010, 1, 1)).days / 365.25) < 1e-9
    r1 = _row(matrix, "R1")
    assert r1["prior_referrals"] == 0 and r1["days_since_last_referral"] == 3650
    # Protected attributes are not features unless asked for.
    assert not any(name.startswith(("sex_", "ethnicity_", "disability_")) for name in matrix.names)
    with_sex = build_features(points, dataset, Features(protected=("sex",)))
    assert _row(with_sex, "R1")["sex_female"] == 1


def test_labels_of_the_hand_written_history() -> None:
    dataset = _tiny()
    points = decision_points(dataset, Cohort())
    labelled = label_points(points, dataset, Outcome(), label_end=date(2019, 12, 31))
    label = dict(zip(labelled["referral_id"], labelled["label"], strict=True))
    # The plan starting 2018-12-20 is within a year of R1 (2018-01-10) and R2 (2018-11-01)...
    assert label["R1"] == 1 and label["R2"] == 1
    # ... and care on 2019-03-01 is within a year of R3 and R4.
    assert label["R3"] == 1 and label["R4"] == 1
    assert label["R9"] == 0
    observable = dict(zip(labelled["referral_id"], labelled["observable"], strict=True))
    # R3's window [2019-01-01, 2020-01-01) is not over by the label end 2019-12-31.
    assert observable["R2"] and not observable["R3"]
    re_ref = label_points(
        points,
        dataset,
        Outcome(events=("re_referral",), window_days=60),
        label_end=date(2020, 1, 1),
    )
    label = dict(zip(re_ref["referral_id"], re_ref["label"], strict=True))
    # R2 -> R3 after 61 days: not within 60; R3 and R4 are the same day: each is "another
    # referral" only strictly after the decision date.
    assert label["R2"] == 0 and label["R3"] == 0


@lru_cache(maxsize=1)
def _synthetic() -> PilotDataset:
    return generate(SynthConfig(referrals=600, years=4, seed=11))


_DATED = {
    "referrals": ("referral_date", None),
    "assessments": ("start_date", "end_date"),
    "s47_enquiries": ("start_date", "end_date"),
    "child_protection_plans": ("start_date", "end_date"),
    "looked_after_episodes": ("start_date", "end_date"),
}


def _perturb_after(dataset: PilotDataset, cutoff: date, rng: np.random.Generator) -> PilotDataset:
    """Change, at random, everything dated on or after ``cutoff``; keep everything before."""
    frames = dict(dataset.tables())
    for name, (start, end) in _DATED.items():
        frame = frames[name]
        n = frame.height
        if n == 0:
            continue
        shift = pl.Series(rng.integers(0, 400, n)).cast(pl.Int64) * pl.duration(days=1)
        later = pl.col(start) >= cutoff
        exprs = [pl.when(later).then(pl.col(start) + shift).otherwise(pl.col(start)).alias(start)]
        if end is not None:
            ends_later = pl.col(end) >= cutoff
            blank = pl.Series(rng.random(n) < 0.3)
            new_end = pl.when(pl.lit(blank)).then(None).otherwise(pl.col(end) + shift)
            exprs.append(pl.when(ends_later).then(new_end).otherwise(pl.col(end)).alias(end))
        if name == "referrals":
            flip = pl.Series(rng.random(n) < 0.5)
            exprs.append(
                pl.when(later & pl.lit(flip)).then(pl.col("nfa").not_()).otherwise(pl.col("nfa"))
            )
        if name == "assessments":
            assert end is not None
            other = pl.lit(["sexual_abuse", "gangs"]).cast(frame.schema["factors"])
            exprs.append(
                pl.when(pl.col(end).is_null() | (pl.col(end) >= cutoff))
                .then(other)
                .otherwise(pl.col("factors"))
                .alias("factors")
            )
        changed = frame.with_columns(exprs)
        drop = pl.Series(rng.random(n) < 0.2)
        frames[name] = changed.filter(~(later & pl.lit(drop)))
    # New facts after the cutoff for every child.
    children = frames["children"]["child_id"].head(50)
    extra = pl.DataFrame(
        {
            "cpp_id": [f"NEW{i}" for i in range(len(children))],
            "child_id": children,
            "start_date": [
                cutoff + timedelta(days=int(x)) for x in rng.integers(0, 30, len(children))
            ],
            "end_date": [None] * len(children),
            "category": ["neglect"] * len(children),
        },
        schema_overrides={"end_date": pl.Date},
    ).cast({"category": frames["child_protection_plans"].schema["category"]})
    frames["child_protection_plans"] = pl.concat([frames["child_protection_plans"], extra])
    return PilotDataset.from_frames(frames)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_changing_anything_after_the_decision_point_never_changes_its_features(
    position: float, seed: int
) -> None:
    dataset = _synthetic()
    points = decision_points(dataset, Cohort())
    row = points[min(points.height - 1, int(position * points.height))]
    cutoff = row["decision_date"].item()
    before = build_features(row, dataset, SPEC)
    perturbed = _perturb_after(dataset, cutoff, np.random.default_rng(seed))
    after = build_features(row, perturbed, SPEC)
    assert before.names == after.names
    np.testing.assert_array_equal(before.values, after.values)


def test_the_property_test_would_notice_a_change_before_the_decision_point() -> None:
    dataset = _synthetic()
    points = decision_points(dataset, Cohort())
    matrix = build_features(points, dataset, SPEC)
    i = int(np.argmax(matrix.column("prior_referrals")))
    row = points[i]
    child = row["child_id"].item()
    frames = dict(dataset.tables())
    frames["referrals"] = frames["referrals"].filter(
        ~((pl.col("child_id") == child) & (pl.col("referral_date") < row["decision_date"].item()))
    )
    changed = build_features(row, PilotDataset.from_frames(frames), SPEC)
    assert changed.column("prior_referrals")[0] == 0 < matrix.column("prior_referrals")[i]


def test_every_feature_has_a_definition_and_a_label_in_words() -> None:
    from whatworks_analytics.pilots.config import Cohort, Features
    from whatworks_analytics.pilots.features import (
        build_features,
        feature_definition,
        feature_groups,
        feature_label,
    )
    from whatworks_analytics.pilots.labels import decision_points
    from whatworks_analytics.pilots.synth import SynthConfig, generate

    dataset = generate(SynthConfig(referrals=200, years=2, seed=2))
    spec = Features(protected=("sex", "ethnicity", "disability"))
    names = build_features(decision_points(dataset, Cohort()), dataset, spec).names
    groups = feature_groups(names)
    assert sorted(c for cols in groups.values() for c in cols) == sorted(names)
    assert {"source", "sex", "ethnicity", "disability"} <= set(groups)
    for group in groups:
        definition, label = feature_definition(group), feature_label(group)
        assert definition.endswith(".") and definition[0].isupper(), group
        assert "_" not in definition and "_" not in label, group
