"""Regression control variates of DM samples from their Gaussian reference path: the controls (the
reference's monomials, whose means are known) and the jackknife error of the fitted estimator.

Kept apart from cldm.analysis.stats, which the CL stage imports: what only the DM analysis uses
lives here, so editing it reruns the moments, not the chains. Sample jobs import it (the error
budget's pilot): it loads neither scipy nor pandas.
"""

from __future__ import annotations

import numpy as np

from cldm.analysis.stats import control_variate_means
from cldm.physics.exact import gaussian_monomial_means, monomials

CV_DEGREE = 6
"""The study's control variates: the reference path's monomials x^a y^b with 0 < a + b <= CV_DEGREE."""


def reference_controls(z_ref: np.ndarray, ref_mean: np.ndarray, ref_cov: np.ndarray,
                       degree: int = CV_DEGREE) -> tuple[np.ndarray, np.ndarray]:
    """The control variates of samples paired with Gaussian reference samples z_ref = x + iy ~
    N(ref_mean, ref_cov): the monomials x^a y^b, 0 < a + b <= degree, shape (N, p), and their known
    means. The powers by successive products, each once."""
    x, y = z_ref.real, z_ref.imag
    xp, yp = [np.ones_like(x)], [np.ones_like(y)]
    for _ in range(degree):
        xp.append(xp[-1] * x)
        yp.append(yp[-1] * y)
    exps = monomials(degree)
    known = gaussian_monomial_means(ref_mean, ref_cov, degree)
    return np.stack([xp[a] * yp[b] for a, b in exps], axis=1), np.array([known[e] for e in exps])


def cv_moments(z: np.ndarray, z_ref: np.ndarray, ref_mean: np.ndarray, ref_cov: np.ndarray, nmax: int,
               degree: int = CV_DEGREE) -> list[dict]:
    """<z^n>, n = 1..nmax, of independent samples z paired with Gaussian reference samples
    z_ref = x + iy ~ N(ref_mean, ref_cov): every monomial x^a y^b, 0 < a + b <= degree, has a known
    mean (`reference_controls`) and together they are the control variates of Re z^n and Im z^n
    (`cldm.analysis.stats.control_variate_means`); rows as those of `cldm.analysis.stats.moments`."""
    zn = np.cumprod(np.repeat(z[:, None], nmax, axis=1), axis=1)
    est, err = control_variate_means(np.concatenate([zn.real, zn.imag], axis=1), *reference_controls(z_ref, ref_mean, ref_cov, degree))
    return [dict(n=n, re=est[n - 1], re_err=err[n - 1], im=est[nmax + n - 1], im_err=err[nmax + n - 1], tau_re=0.5, tau_im=0.5)
            for n in range(1, nmax + 1)]


def control_variate_jackknife(f: np.ndarray, g: np.ndarray, g_mean: np.ndarray, groups: int = 50) -> np.ndarray:
    """Errors of `cldm.analysis.stats.control_variate_means` (E f_j from N independent rows with
    controls g of known mean) by a delete-a-group jackknife over `groups` blocks of consecutive
    rows: without block b, the estimate is the intercept a_(b) of the least-squares fit
    f = a + (g - E g) beta (equal to mean f - (mean g - E g) beta), and
    err^2 = (B - 1)/B sum_b (a_(b) - mean_b a_(b))^2 (Efron and Stein; the delete-a-group form of
    Kott). Unlike the residual spread it carries the error of the fitted beta, which for
    heavy-tailed controls (monomials up to degree 6) is not negligible at moderate N
    (docs/cumulants.md). Normal equations per block, from the blocks' sums of the standardised
    controls."""
    x = (g - g_mean) / g.std(axis=0)
    x = np.concatenate([np.ones((len(x), 1)), x], axis=1)
    edges = np.cumsum([0] + [len(b) for b in np.array_split(np.arange(len(f)), groups)])
    blocks = [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]  # views, not copies
    gram = np.array([x[b].T @ x[b] for b in blocks])
    cross = np.array([x[b].T @ f[b] for b in blocks])
    est = np.array([np.linalg.solve(gram.sum(axis=0) - gram[i], cross.sum(axis=0) - cross[i])[0] for i in range(groups)])
    return np.sqrt((groups - 1) / groups * np.sum((est - est.mean(axis=0)) ** 2, axis=0))
