"""ROC AUC and calibration by group, checked against scikit-learn.

References: ``sklearn.metrics.roc_auc_score`` and ``brier_score_loss`` on each group's rows,
``sklearn.calibration.calibration_curve(strategy="quantile")`` for the shared bins, and a
hand-computed case (the doctest of :func:`score_groups`).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from whatworks_analytics.fairness import (
    AuditConfig,
    BootstrapSettings,
    FlagRule,
    ReferenceRule,
    audit_frame,
)
from whatworks_analytics.fairness.scores import calibration_edges, score_groups


def dataset(seed: int = 8, n: int = 6000, *, ties: bool = False) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(np.array(["a", "b", "c"]), n, p=[0.55, 0.3, 0.15])
    sex = rng.choice(np.array(["F", "M"]), n)
    risk = rng.random(n)
    label = (rng.random(n) < np.where(group == "b", 0.5 * risk + 0.2, 0.8 * risk)).astype(int)
    if ties:
        risk = np.round(risk, 1)  # eleven distinct scores: ties everywhere
    return pl.DataFrame(
        {"risk": risk, "flag": (risk >= 0.7).astype(float), "label": label, "g": group, "sex": sex}
    )


def config(**overrides: object) -> AuditConfig:
    values: dict[str, object] = {
        "score": "flag",
        "risk_score": "risk",
        "label": "label",
        "groups": ("g", "sex"),
        "flag_rule": FlagRule(threshold=0.5),
    }
    values.update(overrides)
    return AuditConfig(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("ties", [False, True])
def test_auc_brier_and_calibration_equal_scikit_learn(ties: bool) -> None:
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss, roc_auc_score

    frame = dataset(ties=ties)
    report = audit_frame(frame, config())
    assert report.calibration_note is None
    risk = frame["risk"].to_numpy()
    label = frame["label"].to_numpy()
    edges = calibration_edges(risk)
    for name in ("a", "b", "c"):
        rows = frame["g"].to_numpy() == name
        scored = report.group_scores("g", name)
        assert scored.n == rows.sum()
        assert scored.roc_auc == pytest.approx(roc_auc_score(label[rows], risk[rows]), abs=1e-12)
        assert scored.brier == pytest.approx(brier_score_loss(label[rows], risk[rows]), abs=1e-12)
        assert scored.mean_score == pytest.approx(risk[rows].mean())
        assert scored.observed_rate == pytest.approx(label[rows].mean())
        assert scored.observed_expected == pytest.approx(label[rows].mean() / risk[rows].mean())
        # The group's bins are the population's deciles; by hand, bin by bin.
        ids = np.searchsorted(edges[1:-1], risk[rows])
        for cell in scored.calibration:
            inside = ids == cell.bin - 1
            assert cell.n == inside.sum()
            assert cell.mean_score == pytest.approx(risk[rows][inside].mean())
            assert cell.observed_rate == pytest.approx(label[rows][inside].mean())
        assert sum(cell.n for cell in scored.calibration) == rows.sum()
    # Over every row, the shared bins are scikit-learn's quantile bins.
    everyone = score_groups(risk, label, {"all": ["x"] * len(risk)}, groups={"all": ["x"]})[0]
    prob_true, prob_pred = calibration_curve(label, risk, n_bins=10, strategy="quantile")
    assert [c.observed_rate for c in everyone.calibration] == pytest.approx(list(prob_true))
    assert [c.mean_score for c in everyone.calibration] == pytest.approx(list(prob_pred))


def test_auc_difference_is_to_the_largest_or_the_named_group() -> None:
    frame = dataset()
    largest = audit_frame(frame, config())
    a, b = largest.group_scores("g", "a"), largest.group_scores("g", "b")
    assert a.reference_group == "a" and a.auc_difference == 0.0
    assert a.roc_auc is not None and b.roc_auc is not None
    assert b.auc_difference == pytest.approx(b.roc_auc - a.roc_auc)
    named = audit_frame(frame, config(references={"g": ReferenceRule.parse("c")}))
    c = named.group_scores("g", "c")
    assert c.roc_auc is not None
    assert named.group_scores("g", "a").auc_difference == pytest.approx(a.roc_auc - c.roc_auc)
    # The lowest-rate rule picks a reference per rate; AUC keeps the largest group.
    lowest = audit_frame(frame, config(references={"g": ReferenceRule.parse("lowest")}))
    assert lowest.group_scores("g", "b").reference_group == "a"


def test_intervals_are_seeded_cover_the_estimate_and_leave_the_rate_intervals_alone() -> None:
    frame = dataset(n=3000)
    settings = BootstrapSettings(replicates=300, seed=5)
    report = audit_frame(frame, config(bootstrap=settings))
    again = audit_frame(frame, config(bootstrap=settings))
    assert report.scores == again.scores
    b = report.group_scores("g", "b")
    for metric, value in (
        ("roc_auc", b.roc_auc),
        ("auc_difference", b.auc_difference),
        ("observed_expected", b.observed_expected),
        ("brier", b.brier),
    ):
        interval = b.intervals[metric]
        assert value is not None and interval.low is not None and interval.high is not None
        assert interval.low < value < interval.high, metric
    # The reference's difference to itself is 0 in every replicate.
    assert report.group_scores("g", "a").intervals["auc_difference"].to_dict() == [0.0, 0.0]
    # Group b's label depends less on the score: its AUC is clearly lower, and the
    # interval of the difference says so.
    assert b.intervals["auc_difference"].high is not None
    assert b.intervals["auc_difference"].high < 0
    without = audit_frame(frame, config(bootstrap=BootstrapSettings(replicates=300, seed=5)))
    assert [i.metrics for i in without.intervals or ()] == [
        i.metrics for i in report.intervals or ()
    ]


def test_intersections_and_json() -> None:
    report = audit_frame(dataset(), config(intersections=True))
    document = report.to_dict()
    scored = document["scores"]
    assert scored["risk_score"] == "risk"
    names = {(g["attribute"], g["group"]) for g in scored["groups"]}
    assert ("g & sex", "a & F") in names
    reported = {(g["attribute"], g["group"]) for g in document["groups"]}
    assert names == reported
    cell = report.group_scores("g & sex", "b & M")
    frame = dataset()
    rows = ((frame["g"] == "b") & (frame["sex"] == "M")).to_numpy()
    assert cell.n == rows.sum()


def test_scores_that_are_not_probabilities_get_no_calibration() -> None:
    frame = dataset().with_columns((pl.col("risk") * 20).alias("risk"))
    report = audit_frame(frame, config())
    assert (
        report.calibration_note is not None and "not all between 0 and 1" in report.calibration_note
    )
    a = report.group_scores("g", "a")
    assert a.roc_auc is not None
    assert a.brier is None and a.observed_expected is None and a.calibration == ()
    assert report.to_dict()["scores"]["calibration_note"] == report.calibration_note


def test_a_group_with_one_outcome_has_no_auc() -> None:
    out = score_groups(
        [0.2, 0.4, 0.6, 0.8], [0, 0, 1, 0], {"g": ["x", "x", "y", "y"]}, groups={"g": ["x", "y"]}
    )
    x, y = out
    assert x.roc_auc is None and x.auc_difference is None
    assert y.roc_auc == 0.0  # its one positive scores below its one negative
    assert y.auc_difference is None  # the reference (x, by name among equals) has none


def test_risk_score_problems_are_reported_with_the_others() -> None:
    from whatworks_analytics.fairness import AuditInputError

    frame = dataset(n=50).with_columns(pl.lit(None, dtype=pl.Float64).alias("risk"))
    with pytest.raises(AuditInputError) as caught:
        audit_frame(frame, config())
    assert any("'risk'" in problem for problem in caught.value.problems)


def test_the_html_report_shows_differences_summaries_ranking_and_calibration() -> None:
    report = audit_frame(dataset(n=2000), config(bootstrap=BootstrapSettings(replicates=50)))
    page = report.to_html()
    assert "Differences to the reference (group&#x27;s rate minus the reference&#x27;s" in page
    assert "Parity summaries (largest gap between any two groups), g" in page
    assert "Equalised odds ratio (1 is parity)" in page
    assert "Ranking and calibration of &#x27;risk&#x27; by group (AUC reference: a), g" in page
    assert "Calibration in each tenth of the scores" in page
    b = report.group_scores("g", "b")
    assert f"{b.roc_auc:.3f}" in page
    not_probabilities = audit_frame(
        dataset(n=500).with_columns((pl.col("risk") * 20).alias("risk")), config()
    ).to_html()
    assert "Calibration is not reported" in not_probabilities
    assert "Calibration in each tenth" not in not_probabilities


def test_a_group_with_many_distinct_scores_is_bootstrapped_over_bins_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 8,000 rows of continuous scores: group a has about 4,400 distinct scores, more than
    # BOOTSTRAP_LEVELS, so its replicates come from 200 quantile bins, shifted to the exact
    # estimate.  The intervals agree with those of the exact cells to within 0.01.
    from whatworks_analytics.fairness import scores

    frame = dataset(n=8000)
    settings = BootstrapSettings(replicates=400, seed=2)
    binned = audit_frame(frame, config(bootstrap=settings)).group_scores("g", "a")
    monkeypatch.setattr(scores, "BOOTSTRAP_LEVELS", 10**9)
    exact = audit_frame(frame, config(bootstrap=settings)).group_scores("g", "a")
    assert binned.roc_auc == exact.roc_auc  # the point estimate is always exact
    for metric in ("roc_auc", "observed_expected", "brier"):
        low, high = binned.intervals[metric].to_dict()
        exact_low, exact_high = exact.intervals[metric].to_dict()
        assert low is not None and high is not None
        assert exact_low is not None and exact_high is not None
        assert low < getattr(binned, metric) < high
        assert abs(low - exact_low) < 0.01 and abs(high - exact_high) < 0.01, metric
