"""Cumulants kappa_n of z from its raw moments <z^n>, with errors that carry the moments' correlations.

kappa_n follows from m_j = <z^j>, j = 1..n, by the moment-cumulant recursion (the general one: the
odd moments of a finite sample are not exactly 0, and every term with an odd moment is of second
order in them, so it costs nothing; docs/cumulants.md compares it with the symmetric formulas
kappa_4 = m_4 - 3 m_2^2, ...). For the actions here P(z) = P(-z), so the odd cumulants vanish and
the even ones kappa_2, kappa_4, kappa_6, kappa_8 are reported.

Errors by linearisation (the delta method done on the samples, Wolff's Gamma method for derived
quantities, hep-lat/0306017): kappa_n(m_hat) - kappa_n(m) = sum_j J_nj (m_hat_j - m_j) to first
order, J = d kappa / d m, so kappa_n's error is the error of the mean of the one series
L_n = sum_j J_nj z^j. That series carries every correlation between the moments (and, for a
Markov chain, its own integrated autocorrelation time), and it takes the same error method as a
moment: the Gamma method for CL chains, the sample variance for independent samples, the
regression control variates for DM samples with a reference path (with a delete-a-group jackknife
of the fit for the error). A jackknife over blocks of independent chains is the cross-check of the
Gamma method.
"""

from __future__ import annotations

import numpy as np
from scipy.special import comb

from cldm.analysis.control_variates import control_variate_jackknife, reference_controls
from cldm.analysis.quantities import CUMULANT_NS as NS, NMAX
from cldm.analysis.stats import mean_error
from cldm.physics.exact import exact_moments


def cumulants(m: np.ndarray) -> np.ndarray:
    """kappa_n, n = 1..len(m), of the raw moments m[j - 1] = <z^j> (complex):
    kappa_n = m_n - sum_{k=1}^{n-1} C(n-1, k-1) kappa_k m_{n-k}."""
    m = np.asarray(m, dtype=complex)
    k = np.zeros_like(m)
    for n in range(1, m.size + 1):
        k[n - 1] = m[n - 1] - sum(comb(n - 1, j - 1, exact=True) * k[j - 1] * m[n - j - 1] for j in range(1, n))
    return k


def cumulant_jacobian(m: np.ndarray) -> np.ndarray:
    """J[n - 1, j - 1] = d kappa_n / d m_j (the kappa_n are polynomials in the m_j, holomorphic), by
    differentiating the recursion of `cumulants`."""
    m = np.asarray(m, dtype=complex)
    k, size = cumulants(m), m.size
    jac = np.zeros((size, size), dtype=complex)
    for n in range(1, size + 1):
        jac[n - 1, n - 1] = 1
        for j in range(1, n):
            c = comb(n - 1, j - 1, exact=True)
            jac[n - 1] -= c * m[n - j - 1] * jac[j - 1]
            jac[n - 1, n - j - 1] -= c * k[j - 1]
    return jac


def linearized(z: np.ndarray, m: np.ndarray, n: int) -> np.ndarray:
    """L_n = sum_j J_nj z^j (same shape as z): its mean has kappa_n's first-order fluctuation.
    Horner's rule in place over j = 1..n (J_nj = 0 for j > n): one array of z's size, not one
    for each term."""
    coef = cumulant_jacobian(m)[n - 1, :n]
    lin = np.full(np.shape(z), coef[-1], dtype=complex)
    for c in coef[-2::-1]:
        lin *= z
        lin += c
    lin *= z
    return lin


def _rows(k: np.ndarray, ns, estimate) -> list[dict]:
    rows = []
    for n in ns:
        (re_err, tau_re), (im_err, tau_im) = estimate(n)
        rows.append(dict(n=n, re=float(k[n - 1].real), re_err=re_err, im=float(k[n - 1].imag), im_err=im_err,
                         tau_re=tau_re, tau_im=tau_im))
    return rows


def chain_cumulants(z: np.ndarray, m: np.ndarray, ns=NS) -> list[dict]:
    """kappa_n of Markov chains z (chains, samples) whose moments are m (m[j - 1] = <z^j>, as long as
    the highest n), with Gamma-method errors of the linearised series (and its tau_int)."""

    def estimate(n):
        lin = linearized(z, m, n)
        return [mean_error(part)[1:] for part in (lin.real, lin.imag)]

    return _rows(cumulants(m), ns, estimate)


def sample_cumulants(z: np.ndarray, m: np.ndarray, ns=NS, z_ref: np.ndarray | None = None,
                     ref_mean: np.ndarray | None = None, ref_cov: np.ndarray | None = None) -> list[dict]:
    """kappa_n of independent samples z whose moments are m. With Gaussian reference samples z_ref ~
    N(ref_mean, ref_cov) (m then the control-variate moments of `cv_moments`), the error is that of
    the mean of the linearised series with the same control variates, by the delete-a-group
    jackknife of `control_variate_jackknife` (the residual spread of the fit underestimates it
    where the high powers' residuals are heavy-tailed: docs/cumulants.md); else the plain sample
    error."""
    lin = np.stack([linearized(z, m, n) for n in ns], axis=1)
    f = np.concatenate([lin.real, lin.imag], axis=1)
    if z_ref is None:
        err = f.std(axis=0, ddof=1) / np.sqrt(len(f))
    else:
        err = control_variate_jackknife(f, *reference_controls(z_ref, ref_mean, ref_cov))
    errors = {n: ((float(err[i]), 0.5), (float(err[len(ns) + i]), 0.5)) for i, n in enumerate(ns)}
    return _rows(cumulants(m), ns, errors.get)


def jackknife_cumulants(z: np.ndarray, blocks: int, nmax: int = NMAX, ns=NS) -> list[dict]:
    """kappa_n of independent chains z (chains, samples) with jackknife errors over `blocks` blocks of
    whole chains: var = (B - 1)/B sum_b (kappa_(b) - mean_b kappa_(b))^2, kappa_(b) from all chains
    but block b. Valid for any autocorrelation within a chain; the cross-check of the Gamma method."""
    groups = np.array_split(np.arange(z.shape[0]), blocks)
    sums = np.array([[np.sum(z[g] ** j) for j in range(1, nmax + 1)] for g in groups])
    counts = np.array([z[g].size for g in groups])
    k = cumulants(sums.sum(axis=0) / counts.sum())
    loo = np.array([cumulants(row) for row in (sums.sum(axis=0) - sums) / (counts.sum() - counts)[:, None]])
    scale = np.sqrt((blocks - 1) / blocks)

    def estimate(n):
        return [(float(scale * np.sqrt(np.sum((p - p.mean()) ** 2))), np.nan) for p in (loo[:, n - 1].real, loo[:, n - 1].imag)]

    return _rows(k, ns, estimate)


def exact_cumulants(model: str, A: float, B: float, lam: float | None = None, lam_im: float = 0.0,
                    ns=NS) -> dict[int, complex]:
    """kappa_n of a config point: Gaussian in closed form (its moments (n-1)!!/sigma^(n/2) are those
    of N(0, 1/sigma): kappa_2 = 1/sigma, the rest 0), otherwise from the exact moments."""
    if model == "gaussian":
        return {n: complex(1 / complex(A, B)) if n == 2 else 0j for n in ns}
    k = cumulants(list(exact_moments(model, A, B, lam, lam_im, nmax=max(ns)).values()))
    return {n: complex(k[n - 1]) for n in ns}
