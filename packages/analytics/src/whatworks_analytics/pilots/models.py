"""The three models of a pilot, each following the scikit-learn estimator contract.

``__init__`` only stores parameters; ``fit(X, y)`` validates, fits and returns ``self``;
fitted attributes end in ``_``; ``predict_proba(X)`` returns ``(n, 2)`` probabilities and
``score(X)`` the probability of the outcome (column 1), used to rank decision points.

* :class:`PriorReferralsBaseline` -- the simple ranker every model must beat: the number of
  prior referrals ``r``, turned into a probability by an increasing step function fitted by
  isotonic regression of the label on ``r`` (so it is calibrated, and ranks exactly as ``r``
  does wherever the training rates increase).
* :func:`logistic_pipeline` -- standardise, then L2-penalised logistic regression (lbfgs).
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

Floats = NDArray[np.float64]


class Scorer(Protocol):
    def fit(self, X: Floats, y: NDArray[np.int8]) -> Any: ...

    def predict_proba(self, X: Floats) -> Floats: ...


def _check_xy(X: Any, y: Any) -> tuple[Floats, NDArray[np.int8]]:
    X_arr = np.asarray(X, dtype=np.float64)
    y_arr = np.asarray(y).astype(np.int8)
    if X_arr.ndim != 2 or y_arr.ndim != 1 or X_arr.shape[0] != y_arr.shape[0]:
        raise ValueError("X must be 2-D and y 1-D with as many rows")
    if not set(np.unique(y_arr).tolist()) <= {0, 1}:
        raise ValueError("y must be 0/1")
    if len(np.unique(y_arr)) < 2:
        raise ValueError("y must contain both classes")
    return X_arr, y_arr


class PriorReferralsBaseline(ClassifierMixin, BaseEstimator):
    """Score = isotonic (increasing) fit of the label on column ``column`` of ``X``."""

    def __init__(self, column: int = 0) -> None:
        self.column = column

    def fit(self, X: Any, y: Any) -> PriorReferralsBaseline:
        X_arr, y_arr = _check_xy(X, y)
        if not 0 <= self.column < X_arr.shape[1]:
            raise ValueError(f"column {self.column} is out of range")
        self.isotonic_ = IsotonicRegression(
            increasing=True, out_of_bounds="clip", y_min=0.0, y_max=1.0
        ).fit(X_arr[:, self.column], y_arr.astype(np.float64))
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X_arr.shape[1]
        return self

    def predict_proba(self, X: Any) -> Floats:
        X_arr = np.asarray(X, dtype=np.float64)
        p = np.clip(self.isotonic_.predict(X_arr[:, self.column]), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> NDArray[np.int64]:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)


def logistic_pipeline(*, C: float = 1.0, max_iter: int = 2000) -> Pipeline:
    """``StandardScaler`` then ``LogisticRegression(solver="lbfgs")``."""
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter)),
        ]
    )


class LightGBMClassifier(ClassifierMixin, BaseEstimator):
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

        X_arr, y_arr = _check_xy(X, y)
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
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X_arr.shape[1]
        return self

    def predict_proba(self, X: Any) -> Floats:
        proba = self.booster_.predict_proba(np.asarray(X, dtype=np.float64))
        return np.asarray(proba, dtype=np.float64)

    def predict(self, X: Any) -> NDArray[np.int64]:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)


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
