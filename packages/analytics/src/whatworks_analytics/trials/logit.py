"""Logistic regression for the odds ratio of a binary trial outcome.

Fitted by Newton-Raphson (iteratively reweighted least squares), as R's ``glm(family =
binomial)``.  Errors are the model's own (the inverse information, as ``vcov(glm)``) for an
individually randomised trial, and cluster-robust for a cluster-randomised one: the sandwich
``B (sum_g s_g s_g') B`` with ``B`` the inverse information and ``s_g`` a cluster's summed
score, times ``G / (G - 1)`` -- what ``sandwich::vcovCL(fit, cluster = ~cluster)`` computes
for a ``glm`` (type HC0 with its default cluster adjustment; Zeileis, Köll and Graham, 2020,
"Various versatile variances", *Journal of Statistical Software* 95(1)).  Intervals are
Wald intervals on the normal distribution (``confint.default``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["LogitFit", "logit_fit"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LogitFit:
    """Coefficients on the log-odds scale and their covariance; ``converged`` is False when
    the likelihood has no finite maximum (separation), in which case there is no odds ratio."""

    coef: FloatArray
    vcov: FloatArray
    converged: bool
    robust: bool


def logit_fit(
    y: npt.ArrayLike,
    x: npt.ArrayLike,
    *,
    clusters: npt.ArrayLike | None = None,
    max_iterations: int = 50,
    tolerance: float = 1e-10,
) -> LogitFit:
    """Fit ``logit P(y = 1) = x β``; see the module for the errors."""
    y_ = np.asarray(y, dtype=np.float64)
    x_ = np.asarray(x, dtype=np.float64)
    k = x_.shape[1]
    beta = np.zeros(k)
    deviance = np.inf
    converged = False
    information = np.eye(k)
    for _ in range(max_iterations):
        eta = np.clip(x_ @ beta, -30.0, 30.0)
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1.0 - p)
        information = (x_ * w[:, None]).T @ x_
        score = x_.T @ (y_ - p)
        try:
            step = np.linalg.solve(information, score)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        eta = np.clip(x_ @ beta, -30.0, 30.0)
        p = 1.0 / (1.0 + np.exp(-eta))
        with np.errstate(divide="ignore", invalid="ignore"):
            new = -2.0 * float(np.sum(y_ * np.log(p) + (1.0 - y_) * np.log1p(-p)))
        # glm.fit's rule: relative change in deviance below its epsilon.
        if abs(new - deviance) / (abs(new) + 0.1) < tolerance:
            converged = True
            deviance = new
            break
        deviance = new
    eta = x_ @ beta
    if converged and np.max(np.abs(eta)) > 25.0:
        converged = False  # fitted probabilities of 0 or 1: the data separate
    p = 1.0 / (1.0 + np.exp(-np.clip(eta, -30.0, 30.0)))
    information = (x_ * (p * (1.0 - p))[:, None]).T @ x_
    bread = np.linalg.inv(information)
    if clusters is None:
        return LogitFit(beta, (bread + bread.T) / 2.0, converged, robust=False)
    _, codes = np.unique(np.asarray(clusters), return_inverse=True)
    m = int(codes.max()) + 1
    scores = np.zeros((m, k))
    np.add.at(scores, codes, x_ * (y_ - p)[:, None])
    vcov = bread @ (scores.T @ scores) @ bread * (m / (m - 1.0))
    return LogitFit(beta, (vcov + vcov.T) / 2.0, converged, robust=True)
