"""Confusion-matrix metrics: a hand-computed case, undefined rates, margins, fairlearn check."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from whatworks_analytics.fairness import (
    MISSING_GROUP,
    RATE_METRICS,
    GroupCounts,
    confusion_cells,
    group_counts,
    rates_from_counts,
)


def rows(group: str, *, tp: int, fp: int, tn: int, fn: int) -> list[dict[str, object]]:
    """Rows of one group with the given confusion cells (label, flag as booleans)."""
    cells = (
        [(True, True)] * tp + [(False, True)] * fp + [(False, False)] * tn + [(True, False)] * fn
    )
    return [{"group": group, "label": label, "flag": flag} for label, flag in cells]


def test_hand_computed_confusion_matrix() -> None:
    # Group A: tp=3, fp=1, tn=4, fn=2 (n=10); group B: tp=1, fp=2, tn=4, fn=1 (n=8).
    frame = pl.DataFrame(rows("A", tp=3, fp=1, tn=4, fn=2) + rows("B", tp=1, fp=2, tn=4, fn=1))
    a, b = group_counts(frame, label="label", flag="flag", attributes=["group"])

    assert (a.attribute, a.group, a.n, a.tp, a.fp, a.tn, a.fn) == ("group", "A", 10, 3, 1, 4, 2)
    assert a.rate("base_rate") == pytest.approx(5 / 10)  # (tp + fn) / n
    assert a.rate("selection_rate") == pytest.approx(4 / 10)  # (tp + fp) / n
    assert a.rate("fpr") == pytest.approx(1 / 5)  # fp / (fp + tn)
    assert a.rate("fnr") == pytest.approx(2 / 5)  # fn / (fn + tp)
    assert a.rate("precision") == pytest.approx(3 / 4)  # tp / (tp + fp)
    assert a.rate("npv") == pytest.approx(4 / 6)  # tn / (tn + fn)
    assert a.rate("fdr") == pytest.approx(1 / 4)  # fp / (tp + fp)
    assert a.rate("for") == pytest.approx(2 / 6)  # fn / (tn + fn)

    assert (b.group, b.n, b.tp, b.fp, b.tn, b.fn) == ("B", 8, 1, 2, 4, 1)
    assert b.rates() == pytest.approx(
        {
            "base_rate": 2 / 8,
            "selection_rate": 3 / 8,
            "fpr": 2 / 6,
            "fnr": 1 / 2,
            "precision": 1 / 3,
            "npv": 4 / 5,
            "fdr": 2 / 3,
            "for": 1 / 5,
        }
    )
    assert b.to_dict()["tn"] == 4


def test_undefined_rates_are_none_and_nan() -> None:
    nobody_flagged = GroupCounts(attribute="a", group="g", tp=0, fp=0, tn=5, fn=3)
    assert nobody_flagged.rate("precision") is None
    assert nobody_flagged.rate("fdr") is None
    assert nobody_flagged.rate("selection_rate") == 0.0
    arrays = rates_from_counts([0, 1], [0, 1], [0, 1], [0, 1])
    assert math.isnan(arrays["fpr"][0])
    assert arrays["fpr"][1] == 0.5
    assert set(arrays) == set(RATE_METRICS)


def test_negative_counts_and_unknown_metric_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        GroupCounts(attribute="a", group="g", tp=-1, fp=0, tn=0, fn=0)
    with pytest.raises(ValueError, match="unknown metric"):
        GroupCounts(attribute="a", group="g", tp=1, fp=0, tn=0, fn=0).denominator("auc")


def test_margins_and_intersections_come_from_one_count() -> None:
    frame = pl.DataFrame(
        {
            "sex": ["F", "F", "M", "M", "M", None],
            "area": [1, 2, 1, 1, 2, 2],
            "label": [True, False, True, False, False, True],
            "flag": [True, True, False, False, True, True],
        }
    )
    cells = confusion_cells(frame, label="label", flag="flag", attributes=["sex", "area"])
    assert cells.select(pl.col("tp", "fp", "tn", "fn")).sum().row(0) == (2, 2, 1, 1)
    counts = group_counts(
        frame, label="label", flag="flag", attributes=["sex", "area"], intersections=True
    )
    names = [(c.attribute, c.group) for c in counts]
    assert names[:5] == [
        ("sex", MISSING_GROUP),
        ("sex", "F"),
        ("sex", "M"),
        ("area", "1"),
        ("area", "2"),
    ]
    assert ("sex & area", "M & 1") in names
    by_name = {(c.attribute, c.group): c for c in counts}
    assert by_name[("sex & area", "M & 1")].cells() == (0, 0, 1, 1)
    assert by_name[("area", "2")].cells() == (1, 2, 0, 0)
    assert sum(c.n for c in counts if c.attribute == "sex & area") == frame.height


def test_no_attribute_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one attribute"):
        confusion_cells(
            pl.DataFrame({"l": [True], "f": [True]}), label="l", flag="f", attributes=[]
        )


def test_per_group_numbers_equal_fairlearn_metricframe() -> None:
    """Cross-check against fairlearn's MetricFrame on a random dataset."""
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn.metrics import precision_score

    rng = np.random.default_rng(7)
    n = 20_000
    group = rng.choice(np.array(["a", "b", "c", "d"]), n, p=[0.5, 0.3, 0.15, 0.05])
    y_true = (rng.random(n) < np.where(group == "b", 0.3, 0.2)).astype(int)
    y_pred = (rng.random(n) < 0.15 + 0.4 * y_true).astype(int)
    frame = pl.DataFrame({"group": group, "label": y_true == 1, "flag": y_pred == 1})
    ours = {
        c.group: c for c in group_counts(frame, label="label", flag="flag", attributes=["group"])
    }

    def precision(y_t: np.ndarray, y_p: np.ndarray) -> float:
        return float(precision_score(y_t, y_p, zero_division=np.nan))

    def negative_predictive_value(y_t: np.ndarray, y_p: np.ndarray) -> float:
        return float(precision_score(1 - y_t, 1 - y_p, zero_division=np.nan))

    # No warning filter: with filterwarnings=error any fairlearn/pandas warning fails the test.
    by_group = MetricFrame(
        metrics={
            "n": count,
            "selection_rate": selection_rate,
            "fpr": false_positive_rate,
            "fnr": false_negative_rate,
            "tpr": true_positive_rate,
            "tnr": true_negative_rate,
            "precision": precision,
            "npv": negative_predictive_value,
        },
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=group,
    ).by_group
    assert sorted(by_group.index) == sorted(ours)
    for name, row in by_group.iterrows():
        c = ours[str(name)]
        assert c.n == row["n"]
        assert c.rate("selection_rate") == pytest.approx(row["selection_rate"])
        assert c.rate("fpr") == pytest.approx(row["fpr"])
        assert c.rate("fnr") == pytest.approx(row["fnr"])
        assert c.rate("fnr") == pytest.approx(1 - row["tpr"])
        assert c.rate("fpr") == pytest.approx(1 - row["tnr"])
        assert c.rate("precision") == pytest.approx(row["precision"])
        assert c.rate("fdr") == pytest.approx(1 - row["precision"])
        assert c.rate("npv") == pytest.approx(row["npv"])
        assert c.rate("for") == pytest.approx(1 - row["npv"])
