"""Ordinary least squares with the robust standard errors trials report.

* ``HC2`` (MacKinnon and White, 1985): each squared residual divided by ``1 - h_ii``; the
  degrees of freedom are ``n - k``.  This is the default of R's ``estimatr::lm_robust``
  (Blair, Cooper, Coppock, Humphreys and Sonnet), and for a regression on the arm alone it
  equals Neyman's conservative variance of the difference in means.
* ``CR2`` (Bell and McCaffrey, 2002, "Bias reduction in standard errors for linear
  regression with multi-stage samples", *Survey Methodology* 28(2), 169-181; Pustejovsky and
  Tipton, 2018, "Small-sample methods for cluster-robust variance estimation and hypothesis
  testing in fixed effects models", *Journal of Business & Economic Statistics* 36(4)): each
  cluster's residuals are multiplied by ``(I - H_gg)^(-1/2)``, and each coefficient's
  degrees of freedom are Bell and McCaffrey's Satterthwaite approximation under a working
  model of independent, equal-variance errors -- what ``estimatr::lm_robust(se_type =
  "CR2")`` and ``clubSandwich::coef_test(vcov = "CR2", test = "Satterthwaite")`` compute.

How it is computed (vectorised; the cost is O(n k²) plus O(m k³) for m clusters, never an
``n_g by n_g`` matrix).  With ``M = (X'X)^-1 = L L'``, a cluster's hat block ``H_gg = X_g M X_g'``
shares its non-zero eigenvalues ``λ`` with the ``k by k`` matrix ``L' S_g L`` (``S_g =
X_g'X_g``), so ``(I - H_gg)^(-1/2) = I + X_g K_g X_g'`` with ``K_g = L V diag(f / λ) V' L'``
and ``f = (1 - λ)^(-1/2) - 1`` (``V`` the eigenvectors).  Then the adjusted score of a
cluster is ``(I + S_g K_g) X_g'e_g``.  For the degrees of freedom of ``c'β``, with
``z_g = (I + K_g S_g) M c`` and ``w_g = M S_g z_g``, the ``m by m`` matrix whose trace ratio
gives Satterthwaite's df is ``diag(z_g' S_g z_g) - W'(X'X)W``; both traces are taken through
``k by k`` products.  An eigenvalue of 1 (a cluster the model fits exactly) takes the
Moore-Penrose inverse square root, as clubSandwich does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from whatworks_analytics.trials.errors import TrialInputError

__all__ = ["RobustFit", "SeType", "ols_robust"]

FloatArray = npt.NDArray[np.float64]
SeType = Literal["HC2", "CR2"]

_EIGEN_TOL = 1e-12


@dataclass(frozen=True, slots=True)
class RobustFit:
    """Coefficients, their robust covariance and per-coefficient degrees of freedom."""

    coef: FloatArray
    vcov: FloatArray
    df: FloatArray
    residuals: FloatArray
    se_type: SeType
    n: int
    clusters: int | None

    @property
    def se(self) -> FloatArray:
        return np.sqrt(np.diag(self.vcov))


def ols_robust(
    y: npt.ArrayLike,
    x: npt.ArrayLike,
    *,
    clusters: npt.ArrayLike | None = None,
    df_for: npt.ArrayLike | None = None,
) -> RobustFit:
    """Least squares of ``y`` on ``x`` (which holds the intercept) with HC2 or, given
    ``clusters``, CR2 errors.  ``df_for`` lists the coefficients (column numbers) whose
    Bell-McCaffrey degrees of freedom are wanted (default: all; others are ``nan``)."""
    y_ = np.asarray(y, dtype=np.float64)
    x_ = np.asarray(x, dtype=np.float64)
    if x_.ndim != 2 or y_.ndim != 1 or x_.shape[0] != y_.shape[0]:
        raise TrialInputError(["the outcome and the design matrix have different lengths"])
    n, k = x_.shape
    if n <= k:
        raise TrialInputError(
            [f"{n} analysed participants cannot estimate {k} coefficients: more are needed"]
        )
    xtx = x_.T @ x_
    if np.linalg.matrix_rank(xtx) < k:
        raise TrialInputError(
            [
                "the arm, covariates and blocks are collinear (one is a combination of the "
                "others): drop a covariate that repeats another or is the same for everyone"
            ]
        )
    bread = np.linalg.inv(xtx)
    bread = (bread + bread.T) / 2.0
    coef = bread @ (x_.T @ y_)
    resid = y_ - x_ @ coef
    if clusters is None:
        leverage = np.einsum("ij,jk,ik->i", x_, bread, x_)
        if np.any(leverage > 1.0 - 1e-10):
            raise TrialInputError(
                [
                    "a participant's outcome is fitted exactly by the model (leverage 1, "
                    "for example a block with one participant), so HC2 is not defined: "
                    "merge small blocks"
                ]
            )
        weights = resid**2 / (1.0 - leverage)
        meat = (x_ * weights[:, None]).T @ x_
        vcov = bread @ meat @ bread
        df = np.full(k, float(n - k))
        return RobustFit(coef, (vcov + vcov.T) / 2.0, df, resid, "HC2", n, None)

    labels = np.asarray(clusters)
    if labels.shape[0] != n:
        raise TrialInputError(["the cluster labels and the outcome have different lengths"])
    _, codes = np.unique(labels, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    m = starts.size
    if m < 2:
        raise TrialInputError(["cluster-robust errors need at least two clusters"])
    xs = x_[order]
    es = resid[order]
    # S_g = X_g'X_g and r_g = X_g'e_g for every cluster.
    s = np.add.reduceat(np.einsum("ij,ik->ijk", xs, xs), starts, axis=0)
    r = np.add.reduceat(xs * es[:, None], starts, axis=0)
    chol = np.linalg.cholesky(bread)
    inner = np.einsum("ji,gjk,kl->gil", chol, s, chol)  # L' S_g L
    inner = (inner + np.swapaxes(inner, 1, 2)) / 2.0
    lam, vec = np.linalg.eigh(inner)
    scale = np.zeros_like(lam)
    positive = lam > _EIGEN_TOL
    exact = lam >= 1.0 - 1e-10
    regular = positive & ~exact
    scale[regular] = ((1.0 - lam[regular]) ** -0.5 - 1.0) / lam[regular]
    scale[exact] = -1.0 / lam[exact]  # pseudo-inverse: the zero eigenvalue of I - H maps to 0
    # K_g = L V diag(scale) V' L'
    lv = np.einsum("ij,gjk->gik", chol, vec)
    kmat = np.einsum("gik,gk,gjk->gij", lv, scale, lv)
    adjusted = r + np.einsum("gij,gjk,gk->gi", s, kmat, r)  # (I + S_g K_g) r_g
    meat = adjusted.T @ adjusted
    vcov = bread @ meat @ bread
    wanted = range(k) if df_for is None else [int(j) for j in np.atleast_1d(df_for)]
    df = np.full(k, np.nan)
    for j in wanted:
        q = bread[:, j]
        z = q + np.einsum("gij,gjk,k->gi", kmat, s, q)  # (I + K_g S_g) M c
        uu = np.einsum("gi,gij,gj->g", z, s, z)
        w = np.einsum("ij,gjk,gk->gi", bread, s, z)  # M S_g z_g
        # P = W'(X'X)W is m x m; its trace and the trace of its square via k x k products.
        c = w.T @ w  # sum_g w_g w_g'
        a = xtx @ c
        trace_p = float(np.trace(a))
        trace_p2 = float(np.sum(a * a.T))
        diag_p = np.einsum("gi,ij,gj->g", w, xtx, w)
        trace_g = float(uu.sum()) - trace_p
        trace_g2 = float(np.sum(uu**2)) - 2.0 * float(np.sum(uu * diag_p)) + trace_p2
        df[j] = trace_g**2 / trace_g2 if trace_g2 > 0 else np.nan
    return RobustFit(coef, (vcov + vcov.T) / 2.0, df, resid, "CR2", n, m)
