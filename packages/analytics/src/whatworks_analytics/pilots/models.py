"""The three models of a pilot, each following the scikit-learn estimator contract.

``__init__`` only stores parameters; ``fit(X, y)`` validates, fits and returns ``self``;
fitted attributes end in ``_``; ``predict_proba(X)`` returns ``(n, 2)`` probabilities and
``score(X)`` the probability of the outcome (column 1), used to rank decision points.
Each is a binary classifier only (its tags say so, and a multiclass target is refused); each
validates ``X`` with scikit-learn's ``validate_data`` and refuses to predict before it is
fitted (``check_is_fitted``).  The tests run scikit-learn's ``check_estimator`` on all three.

* :class:`PriorReferralsBaseline` -- the simple ranker every model must beat: the number of
  prior referrals ``r``, turned into a probability by an increasing step function fitted by
  isotonic regression of the label on ``r`` (so it is calibrated, and ranks exactly as ``r``
  does wherever the training rates increase).
* :class:`LogisticModel` -- standardise, then L2-penalised logistic regression (lbfgs).
* :class:`LightGBMClassifier` -- gradient-boosted trees, wrapping ``lightgbm.LGBMClassifier``
  by composition (deterministic, silent).  ``n_jobs`` defaults to 1 and is capped at 2: on a
  shared machine OpenMP threads that busy-wait for a busy core can make a two-thread fit ten
  or more times slower than a one-thread fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

Floats = NDArray[np.float64]


class Scorer(Protocol):
    def fit(self, X: Floats, y: NDArray[np.int8]) -> Any: ...

    def predict_proba(self, X: Floats) -> Floats: ...


def _fit_data(estimator: BaseEstimator, X: Any, y: Any) -> tuple[Floats, NDArray[np.int8]]:
    """Validate ``X`` and a binary ``y`` for ``fit``; set ``classes_`` and ``n_features_in_``.

    ``y`` may hold any two labels (``classes_`` keeps them, sorted); they are coded 0/1 with
    the second class as the outcome.  Raises ``ValueError`` for a multiclass or continuous
    target, a target with one class only, NaN or infinite features.
    """
    X_arr, y_raw = validate_data(estimator, X, y, dtype=np.float64)
    check_classification_targets(y_raw)
    y_type = type_of_target(y_raw, input_name="y")
    if y_type != "binary":
        raise ValueError(
            f"Only binary classification is supported. The type of the target is {y_type}."
        )
    classes, coded = np.unique(y_raw, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("y must contain both classes; it has one class only")
    estimator.classes_ = classes
    return X_arr, coded.astype(np.int8)


def _predict_data(estimator: BaseEstimator, X: Any) -> Floats:
    """Check ``estimator`` is fitted and validate ``X`` against what it was fitted on."""
    check_is_fitted(estimator)
    X_arr: Floats = validate_data(estimator, X, dtype=np.float64, reset=False)
    return X_arr


class _BinaryClassifier(ClassifierMixin, BaseEstimator):
    """What the pilot models share: binary targets only, probabilities, and ``predict``."""

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        assert tags.classifier_tags is not None
        tags.classifier_tags.multi_class = False
        return tags

    def predict_proba(self, X: Any) -> Floats:  # pragma: no cover - overridden
        raise NotImplementedError

    def predict(self, X: Any) -> NDArray[Any]:
        """The more probable class of each row (the outcome at a probability of 0.5)."""
        outcome = self.predict_proba(X)[:, 1] >= 0.5
        classes: NDArray[Any] = self.classes_
        return classes[outcome.astype(np.int64)]


class PriorReferralsBaseline(_BinaryClassifier):
    """Score = isotonic (increasing) fit of the label on column ``column`` of ``X``."""

    def __init__(self, column: int = 0) -> None:
        self.column = column

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        assert tags.classifier_tags is not None
        # It reads one column by design: on data where that column does not separate the
        # classes its accuracy is poor, and that is what a baseline is for.
        tags.classifier_tags.poor_score = True
        return tags

    def fit(self, X: Any, y: Any) -> PriorReferralsBaseline:
        X_arr, y_arr = _fit_data(self, X, y)
        if not 0 <= self.column < X_arr.shape[1]:
            raise ValueError(f"column {self.column} is out of range")
        self.isotonic_ = IsotonicRegression(
            increasing=True, out_of_bounds="clip", y_min=0.0, y_max=1.0
        ).fit(X_arr[:, self.column], y_arr.astype(np.float64))
        return self

    def predict_proba(self, X: Any) -> Floats:
        X_arr = _predict_data(self, X)
        p = np.clip(self.isotonic_.predict(X_arr[:, self.column]), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])


class LogisticModel(_BinaryClassifier):
    """Standardise, then L2-penalised logistic regression (lbfgs), as one estimator.

    Fitting builds a fresh ``Pipeline`` (``pipeline_``), so the parameters are never the
    fitted objects themselves (as they are in a bare ``Pipeline``) and the model passes
    scikit-learn's estimator checks.
    """

    def __init__(self, *, C: float = 1.0, max_iter: int = 2000) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any) -> LogisticModel:
        X_arr, y_arr = _fit_data(self, X, y)
        self.pipeline_ = Pipeline(
            [
                ("scale", StandardScaler()),
                ("model", LogisticRegression(C=self.C, solver="lbfgs", max_iter=self.max_iter)),
            ]
        ).fit(X_arr, y_arr)
        self.n_iter_ = self.pipeline_[-1].n_iter_
        return self

    def predict_proba(self, X: Any) -> Floats:
        X_arr = _predict_data(self, X)
        return np.asarray(self.pipeline_.predict_proba(X_arr), dtype=np.float64)


def logistic_pipeline(*, C: float = 1.0, max_iter: int = 2000) -> LogisticModel:
    """``StandardScaler`` then ``LogisticRegression(solver="lbfgs")`` (a :class:`LogisticModel`)."""
    return LogisticModel(C=C, max_iter=max_iter)


class LightGBMClassifier(_BinaryClassifier):
    """Gradient-boosted trees (LightGBM) by composition; deterministic for a given seed."""

    def __init__(
        self,
        *,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 50,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> LightGBMClassifier:
        import lightgbm

        X_arr, y_arr = _fit_data(self, X, y)
        self.booster_ = lightgbm.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            n_jobs=max(1, min(2, self.n_jobs)),
            random_state=self.random_state,
            deterministic=True,
            force_col_wise=True,
            verbose=-1,
        ).fit(X_arr, y_arr)
        return self

    def predict_proba(self, X: Any) -> Floats:
        X_arr = _predict_data(self, X)
        return np.asarray(self.booster_.predict_proba(X_arr), dtype=np.float64)


def make_model(
    kind: str, params: Mapping[str, Any], *, feature_names: tuple[str, ...], seed: int
) -> Any:
    """A fresh, unfitted estimator of ``kind`` (``baseline``, ``logistic`` or ``lightgbm``)."""
    if kind == "baseline":
        column = str(params.get("feature", "prior_referrals"))
        if column not in feature_names:
            raise ValueError(f"the baseline feature {column!r} is not a feature")
        return PriorReferralsBaseline(column=feature_names.index(column))
    if kind == "logistic":
        return logistic_pipeline(**dict(params))
    if kind == "lightgbm":
        return LightGBMClassifier(**{"random_state": seed, **params})
    raise ValueError(f"unknown model kind {kind!r}")


def used_columns(model: Any) -> set[int] | None:
    """The columns a fitted model's scores can depend on, when it says so exactly: the
    baseline's one column; the columns LightGBM splits on at least once.  ``None`` when
    every column may matter (logistic regression)."""
    if isinstance(model, PriorReferralsBaseline):
        return {model.column}
    if isinstance(model, LightGBMClassifier):
        counts = model.booster_.booster_.feature_importance(importance_type="split")
        return {int(i) for i in np.flatnonzero(np.asarray(counts) > 0)}
    return None


def score(model: Any, X: Floats) -> Floats:
    """The predicted probability of the outcome for each row."""
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    return np.ascontiguousarray(proba[:, 1])
