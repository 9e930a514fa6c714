"""The generator writes valid, reproducible, calibrated data with a realistic signal."""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from whatworks_analytics.pilots.calibration import ENGLAND_2019
from whatworks_analytics.pilots.schema import CONTRACT, FACTOR_CODES
from whatworks_analytics.pilots.synth import (
    MANIFEST_NAME,
    GroupSpec,
    SynthConfig,
    generate,
    re_referral_rate,
    write_dataset,
    write_synthetic,
)
from whatworks_analytics.pilots.validate import PilotDataset, load_dataset, validate_dataset

STATISTICS = (
    Path(__file__).resolve().parents[5]
    / "shared"
    / "data"
    / "statistics"
    / "england_childrens_social_care_2019.json"
)
CONFIG = SynthConfig(referrals=30_000, years=5, seed=0)

# Tolerances of the calibration check (absolute differences in shares), for 30,000 referrals
# (about 19,000 children, 23,000 completed assessments): several standard errors wide.
TOL_SOURCE = 0.01
TOL_RE_REFERRAL = 0.01
TOL_CHILD_SHARE = 0.015
TOL_FACTOR = 0.015
TOL_NFA = 0.005
TOL_FUNNEL = 0.025
TOL_CATEGORY = 0.035
TOL_CLA_PER_REFERRAL = 0.01
TOL_ICPC_PER_S47 = 0.1  # a ratio of annual counts compared with a cohort funnel: loose


def figures() -> dict[str, Any]:
    """The published figures: from the shared statistics file when present, else the copy."""
    if STATISTICS.exists():
        return {
            k: v["value"]
            for k, v in json.loads(STATISTICS.read_text()).items()
            if isinstance(v, dict) and "value" in v
        }
    cal = ENGLAND_2019
    return {
        "re_referral_rate_12_months": cal.re_referral_rate,
        "referral_source_share": dict(cal.referral_source_share),
        "cin_gender_share": {
            **{k: v for k, v in cal.sex_share.items() if k != "unknown"},
            "unborn_or_unknown": cal.sex_share["unknown"],
        },
        "cin_ethnicity_counts": {k.capitalize(): v for k, v in cal.ethnicity_known_share.items()},
        "cin_with_disability_share": cal.disability_share,
        "factors_at_end_of_assessment_share": dict(cal.factor_share),
        "highest_intervention_per_referral_share": dict(cal.highest_intervention_share),
        "derived_ratios": {
            "cla_starts_per_referral": cal.cla_starts_per_referral,
            "icpc_per_s47": cal.icpc_per_s47,
        },
        "cla_legal_status_share": dict(cal.cla_legal_status_share),
    }


@pytest.fixture(scope="module")
def dataset() -> PilotDataset:
    return generate(CONFIG)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "pilot"
    write_synthetic(CONFIG, out)
    return out


def shares(series: pl.Series) -> dict[str, float]:
    counts = series.cast(pl.String).value_counts(normalize=True)
    return dict(zip(counts[series.name].to_list(), counts["proportion"].to_list(), strict=True))


def test_written_dataset_is_valid_and_loads_as_generated(
    dataset: PilotDataset, written: Path
) -> None:
    report = validate_dataset(written)
    assert report.is_valid, report.render()
    loaded = load_dataset(written)
    for (name, generated), (_, read) in zip(dataset.tables(), loaded.tables(), strict=True):
        assert generated.schema == CONTRACT.table(name).schema
        assert generated.equals(read), name


def test_parquet_round_trip(dataset: PilotDataset, tmp_path: Path) -> None:
    write_dataset(dataset, tmp_path / "pq", file_format="parquet")
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == sorted(
        f"{name}.parquet" for name in CONTRACT.table_names
    )
    loaded = load_dataset(tmp_path / "pq")
    for (name, generated), (_, read) in zip(dataset.tables(), loaded.tables(), strict=True):
        assert generated.equals(read), name


def test_shape_of_the_dataset(dataset: PilotDataset) -> None:
    assert dataset.referrals.height == CONFIG.referrals
    children = set(dataset.children["child_id"])
    assert set(dataset.referrals["child_id"]) == children
    in_window = pl.col("referral_date").is_between(CONFIG.start, CONFIG.end, closed="left")
    assert dataset.referrals.select(in_window.all()).item()
    for name, frame in dataset.tables():
        if name in ("children", "referrals"):
            continue
        assert frame.select((pl.col("start_date") < CONFIG.end).all()).item(), name
    for name in ("child_protection_plans", "looked_after_episodes"):
        spells = (
            dataset.table(name)
            .sort("child_id", "start_date")
            .with_columns(
                previous_end=pl.col("end_date").shift().over("child_id"),
                previous_open=pl.col("end_date").is_null().shift().over("child_id"),
            )
        )
        overlapping = spells.filter(
            (pl.col("start_date") < pl.col("previous_end")) | pl.col("previous_open")
        )
        assert overlapping.height == 0, name
    # Every child is under 18 at each referral.
    age = (pl.col("referral_date") - pl.col("birth_month")).dt.total_days() / 365.25
    joined = dataset.referrals.join(dataset.children, on="child_id")
    assert joined.select((age < 18.1).all()).item()


def test_manifest(written: Path) -> None:
    manifest = json.loads((written / MANIFEST_NAME).read_text())
    assert manifest["config"]["seed"] == CONFIG.seed
    assert manifest["row_counts"]["referrals"] == CONFIG.referrals
    assert manifest["contract_version"] == CONTRACT.version


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    config = SynthConfig(
        referrals=3_000,
        years=3,
        seed=7,
        bias_against=GroupSpec.parse("mixed"),
        practice_change=date(2017, 1, 1),
    )
    write_synthetic(config, tmp_path / "a")
    write_synthetic(config, tmp_path / "b")
    write_synthetic(SynthConfig(referrals=3_000, years=3, seed=8), tmp_path / "c")
    for name in CONTRACT.table_names:
        a = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.csv").read_bytes(), name
        assert a != (tmp_path / "c" / f"{name}.csv").read_bytes(), name


def test_marginals_match_the_published_figures(dataset: PilotDataset) -> None:
    stats = figures()
    referrals, children = dataset.referrals, dataset.children
    n = referrals.height

    assert re_referral_rate(referrals) == pytest.approx(
        stats["re_referral_rate_12_months"], abs=TOL_RE_REFERRAL
    )
    source = shares(referrals["source"])
    for code, share in stats["referral_source_share"].items():
        assert source.get(code, 0.0) == pytest.approx(share, abs=TOL_SOURCE), code

    sex = shares(children["sex"])
    gender = stats["cin_gender_share"]
    assert sex["male"] == pytest.approx(gender["male"], abs=TOL_CHILD_SHARE)
    assert sex["female"] == pytest.approx(gender["female"], abs=TOL_CHILD_SHARE)
    assert sex["unknown"] == pytest.approx(gender["unborn_or_unknown"], abs=TOL_CHILD_SHARE)

    known = children.filter(pl.col("ethnicity") != "not_known")
    ethnicity = shares(known["ethnicity"])
    counts = {k.lower(): v for k, v in stats["cin_ethnicity_counts"].items()}
    total = sum(counts.values())
    for code, count in counts.items():
        assert ethnicity[code] == pytest.approx(count / total, abs=TOL_CHILD_SHARE), code

    disability = children.filter(pl.col("disability") != "unknown")
    assert (disability["disability"] == "yes").mean() == pytest.approx(
        stats["cin_with_disability_share"], abs=TOL_CHILD_SHARE
    )

    completed = dataset.assessments.filter(pl.col("end_date").is_not_null())
    for code, share in stats["factors_at_end_of_assessment_share"].items():
        recorded = completed.select(pl.col("factors").list.contains(code).mean()).item()
        assert recorded == pytest.approx(share, abs=TOL_FACTOR), code

    funnel = stats["highest_intervention_per_referral_share"]
    assert referrals["nfa"].mean() == pytest.approx(funnel["no_further_action"], abs=TOL_NFA)
    nfa_ids = referrals.filter("nfa")["referral_id"]
    assert not dataset.assessments["referral_id"].is_in(nfa_ids.implode()).any()
    s47 = dataset.s47_enquiries
    reached_s47 = funnel["section_47"] + funnel["icpc"] + funnel["cp_plan_or_looked_after"]
    assert s47["referral_id"].n_unique() / n == pytest.approx(reached_s47, abs=TOL_FUNNEL)
    ratios = stats["derived_ratios"]
    assert s47["icpc_date"].is_not_null().mean() == pytest.approx(
        ratios["icpc_per_s47"], abs=TOL_ICPC_PER_S47
    )
    # Flows in the middle years, away from the edges of the window.
    lo, hi = date(2016, 4, 1), date(2019, 4, 1)
    middle = referrals.filter(pl.col("referral_date").is_between(lo, hi, closed="left")).height
    care = dataset.looked_after_episodes.filter(
        pl.col("start_date").is_between(lo, hi, closed="left")
    ).height
    assert care / middle == pytest.approx(
        ratios["cla_starts_per_referral"], abs=TOL_CLA_PER_REFERRAL
    )

    categories = shares(dataset.child_protection_plans["category"])
    for code, share in ENGLAND_2019.cpp_category_share.items():
        assert categories[code] == pytest.approx(share, abs=TOL_CATEGORY), code
    assert categories["neglect"] == pytest.approx(0.481, abs=TOL_CATEGORY)
    status = shares(dataset.looked_after_episodes["legal_status"])
    for code, share in stats["cla_legal_status_share"].items():
        assert status[code] == pytest.approx(share, abs=TOL_CATEGORY), code


def escalation_features(
    dataset: PilotDataset, end: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simple history and factor features per referral, and escalation within 365 days."""
    referrals = dataset.referrals.select("referral_id", "child_id", "referral_date")
    events = pl.concat(
        [
            dataset.child_protection_plans.select("child_id", "start_date"),
            dataset.looked_after_episodes.select("child_id", "start_date"),
        ]
    )
    paired = referrals.join(events, on="child_id", how="left")
    after = pl.col("start_date") >= pl.col("referral_date")
    within = after & (pl.col("start_date") <= pl.col("referral_date") + pl.duration(days=365))
    outcome = paired.group_by("referral_id").agg(
        within.fill_null(False).any().alias("escalated"),
        (pl.col("start_date") < pl.col("referral_date")).fill_null(False).sum().alias("prior"),
    )
    codes = [code.code for code in FACTOR_CODES]
    frame = (
        referrals.sort("child_id", "referral_date")
        .with_columns(
            previous=pl.int_range(pl.len()).over("child_id"),
            gap=pl.col("referral_date").diff().over("child_id").dt.total_days(),
        )
        .join(outcome, on="referral_id")
        .join(dataset.assessments.select("referral_id", "factors"), on="referral_id", how="left")
        .filter(pl.col("referral_date") <= pl.lit(end) - pl.duration(days=366))
    )
    features = (
        frame.select(
            (pl.col("previous") + 1).log(),
            (pl.col("gap") <= 365).fill_null(False),
            pl.col("prior"),
            pl.col("factors").list.len().fill_null(0),
            *(pl.col("factors").list.contains(code).fill_null(False).alias(code) for code in codes),
        )
        .to_numpy()
        .astype(np.float64)
    )
    return features, frame["escalated"].to_numpy(), frame["child_id"].to_numpy()


def test_a_simple_model_has_modest_discrimination(dataset: PilotDataset) -> None:
    x, y, child = escalation_features(dataset, CONFIG.end)
    assert 0.08 < y.mean() < 0.3
    rng = np.random.default_rng(0)
    ids = np.unique(child)
    test_ids = rng.choice(ids, size=ids.size // 3, replace=False)
    test = np.isin(child, test_ids)
    model = LogisticRegression(max_iter=2000).fit(x[~test], y[~test])
    auc = roc_auc_score(y[test], model.predict_proba(x[test])[:, 1])
    assert 0.65 <= auc <= 0.80, auc


def group_rates(dataset: PilotDataset, code: str) -> dict[str, float]:
    """Referrals per child, no-further-action rate and conference rate: group / others."""
    referrals = dataset.referrals.join(
        dataset.children.select("child_id", (pl.col("ethnicity") == code).alias("group")),
        on="child_id",
    )
    conference = dataset.s47_enquiries.filter(pl.col("icpc_date").is_not_null())["referral_id"]
    by_group = referrals.group_by("group").agg(
        (pl.len() / pl.col("child_id").n_unique()).alias("per_child"),
        pl.col("nfa").mean().alias("nfa"),
        pl.col("referral_id").is_in(conference.implode()).mean().alias("conference"),
    )
    rows = {row["group"]: row for row in by_group.iter_rows(named=True)}
    return {key: rows[True][key] / rows[False][key] for key in ("per_child", "nfa", "conference")}


def test_bias_against_a_group_leaves_a_trace(dataset: PilotDataset) -> None:
    biased = generate(
        SynthConfig(referrals=30_000, years=5, seed=0, bias_against=GroupSpec.parse("black"))
    )
    fair, unfair = group_rates(dataset, "black"), group_rates(biased, "black")
    assert fair["per_child"] == pytest.approx(1.0, abs=0.08)
    assert fair["conference"] == pytest.approx(1.0, abs=0.15)
    assert unfair["per_child"] > fair["per_child"] + 0.1
    assert unfair["nfa"] < fair["nfa"] - 0.15
    assert unfair["conference"] > fair["conference"] + 0.3
    # The group's share of children is unchanged: the bias is in recording, not population.
    share = (biased.children["ethnicity"] == "black").mean()
    assert share == pytest.approx(ENGLAND_2019.ethnicity_share["black"], abs=TOL_CHILD_SHARE)


def period_rates(dataset: PilotDataset, change: date) -> dict[str, tuple[float, float]]:
    """Rates before and after ``change`` in the two years around it."""
    lo, hi = change - timedelta(days=365), change + timedelta(days=365)

    def split(frame: pl.DataFrame, column: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        return (
            frame.filter(pl.col(column).is_between(lo, change, closed="left")),
            frame.filter(pl.col(column).is_between(change, hi, closed="left")),
        )

    ref_before, ref_after = split(dataset.referrals, "referral_date")
    plan_before, plan_after = split(dataset.child_protection_plans, "start_date")
    completed = dataset.assessments.filter(pl.col("end_date").is_not_null())
    ass_before, ass_after = split(completed, "start_date")

    def dv(frame: pl.DataFrame) -> float:
        return float(
            frame.select(pl.col("factors").list.contains("domestic_violence").mean()).item()
        )

    return {
        "plans": (plan_before.height / ref_before.height, plan_after.height / ref_after.height),
        "domestic_violence": (dv(ass_before), dv(ass_after)),
    }


def test_practice_change_shifts_plans_and_recording(dataset: PilotDataset) -> None:
    change = date(2018, 4, 1)
    changed = generate(SynthConfig(referrals=30_000, years=5, seed=0, practice_change=change))
    steady, shifted = period_rates(dataset, change), period_rates(changed, change)
    before, after = steady["plans"]
    assert after / before == pytest.approx(1.0, abs=0.15)
    before, after = shifted["plans"]
    assert after / before < 0.8
    before, after = steady["domestic_violence"]
    assert after - before == pytest.approx(0.0, abs=0.03)
    before, after = shifted["domestic_violence"]
    assert after - before > 0.1


def test_writing_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = generate(SynthConfig(referrals=500, years=2, seed=1))
    calls = {"n": 0}
    original = pl.DataFrame.write_csv

    def failing(self: pl.DataFrame, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_csv", failing)
    with pytest.raises(OSError, match="No space"):
        write_dataset(dataset, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_existing_folders(tmp_path: Path) -> None:
    dataset = generate(SynthConfig(referrals=300, years=2, seed=1))
    (tmp_path / "empty").mkdir()
    write_dataset(dataset, tmp_path / "empty")
    assert validate_dataset(tmp_path / "empty").is_valid
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_dataset(dataset, full)
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    write_dataset(dataset, full, overwrite=True)
    assert not (full / "keep.txt").exists()
    assert validate_dataset(full).is_valid
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        write_dataset(dataset, tmp_path / "file")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_progress_goes_to_stderr_only_when_enabled(capsys: pytest.CaptureFixture[str]) -> None:
    config = SynthConfig(referrals=200, years=1, seed=2)
    generate(config, progress=False)
    assert capsys.readouterr() == ("", "")
    generate(config, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "synth" in captured.err


def test_group_spec() -> None:
    assert GroupSpec.parse("black") == GroupSpec(column="ethnicity", code="black")
    assert GroupSpec.parse("sex=male") == GroupSpec(column="sex", code="male")
    assert str(GroupSpec.parse("disability=yes")) == "disability=yes"
    with pytest.raises(ValueError, match="unknown ethnicity code"):
        GroupSpec.parse("purple")
    with pytest.raises(ValueError, match="unknown group column"):
        GroupSpec.parse("height=tall")


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="referrals"):
        SynthConfig(referrals=0)
    with pytest.raises(ValueError, match="years"):
        SynthConfig(years=0)
    with pytest.raises(ValueError, match="practice_change"):
        SynthConfig(years=2, practice_change=date(2030, 1, 1))
    assert SynthConfig(start=date(2016, 2, 29), years=1).end == date(2017, 2, 28)


@settings(max_examples=8, deadline=None)
@given(
    referrals=st.integers(min_value=1, max_value=400),
    years=st.integers(min_value=1, max_value=4),
    seed=st.integers(min_value=0, max_value=2**32),
    biased=st.booleans(),
)
def test_any_small_configuration_is_valid(
    referrals: int, years: int, seed: int, biased: bool
) -> None:
    config = SynthConfig(
        referrals=referrals,
        years=years,
        seed=seed,
        bias_against=GroupSpec.parse("white") if biased else None,
    )
    with tempfile.TemporaryDirectory() as folder:
        write_synthetic(config, Path(folder) / "out")
        report = validate_dataset(Path(folder) / "out")
        assert report.is_valid, report.render()
        assert load_dataset(Path(folder) / "out").referrals.height == referrals
