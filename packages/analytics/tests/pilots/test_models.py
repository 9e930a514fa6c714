"""The pilot models are scikit-learn estimators: ``check_estimator`` passes for each.

Reference: scikit-learn's own estimator checks (``parametrize_with_checks``), with the models
declared binary-only (``classifier_tags.multi_class = False``), so that the checks fit them
on two-class problems and expect a multiclass target to be refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from whatworks_analytics.pilots.models import (
    LightGBMClassifier,
    LogisticModel,
    PriorReferralsBaseline,
    make_model,
    score,
    used_columns,
)

MODELS = [PriorReferralsBaseline(), LogisticModel(), LightGBMClassifier()]

# scikit-learn has no type hints; its decorator parametrises the test with each model and
# each of the checks that apply to it.
EstimatorCheckTest = Callable[[Any, Callable[[Any], None]], None]
estimator_checks: Callable[[EstimatorCheckTest], EstimatorCheckTest] = parametrize_with_checks(
    MODELS
)


@estimator_checks
def test_scikit_learn_estimator_checks(estimator: Any, check: Callable[[Any], None]) -> None:
    check(estimator)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_binary_only_with_the_words_scikit_learn_expects(model: Any) -> None:
    X = np.arange(12, dtype=float).reshape(6, 2)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        model.fit(X, [0, 1, 2, 0, 1, 2])
    with pytest.raises(NotFittedError):
        type(model)().predict_proba(X)
    tags = model.__sklearn_tags__()
    assert tags.classifier_tags.multi_class is False


def test_labels_other_than_zero_and_one_are_kept() -> None:
    rng = np.random.default_rng(1)
    X = rng.random((200, 3))
    y = np.where(X[:, 0] > 0.5, "escalated", "not escalated")
    model = LogisticModel().fit(X, y)
    assert list(model.classes_) == ["escalated", "not escalated"]
    assert set(model.predict(X)) <= set(model.classes_)


def test_make_model_gives_each_kind() -> None:
    names = ("prior_referrals", "age")
    assert isinstance(
        make_model("baseline", {}, feature_names=names, seed=0), PriorReferralsBaseline
    )
    assert isinstance(
        make_model("logistic", {"C": 0.5}, feature_names=names, seed=0), LogisticModel
    )
    lgbm = make_model("lightgbm", {}, feature_names=names, seed=7)
    assert isinstance(lgbm, LightGBMClassifier) and lgbm.random_state == 7


@pytest.mark.parametrize("kind", ["baseline", "lightgbm"])
def test_tree_and_baseline_scores_of_a_row_do_not_depend_on_the_batch(kind: str) -> None:
    """Permutation importance predicts only the rows a shuffle changed and keeps the base
    score of the others (``run._importance``): for the models whose ``used_columns`` is
    known, a row's score must be the same number, bit for bit, in any batch."""
    rng = np.random.default_rng(4)
    X = np.column_stack([rng.poisson(1.5, 600), rng.random(600), rng.integers(0, 2, 600)])
    y = (rng.random(600) < 0.2 + 0.1 * X[:, 0]).astype(np.int8)
    names = ("prior_referrals", "age_years", "source_police")
    params = {"n_estimators": 20} if kind == "lightgbm" else {}
    model = make_model(kind, params, feature_names=names, seed=1)
    model.fit(X, y)
    assert used_columns(model) is not None
    whole = score(model, X)
    some = rng.choice(600, size=37, replace=False)
    assert np.array_equal(score(model, X[some]), whole[some])
    assert np.array_equal(score(model, np.vstack([X[some], X[:5]]))[:37], whole[some])
