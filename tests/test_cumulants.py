"""Cumulants of z: the recursion, exact values, and the coverage of their error bars on synthetic data
with known cumulants (independent samples, control variates, Markov chains, a DM ensemble)."""

import numpy as np
import pytest
from scipy.signal import lfilter
from scipy.special import ndtr

from cldm.analysis.cumulants import (chain_cumulants, cumulant_jacobian, cumulants, exact_cumulants,
                                     jackknife_cumulants, linearized, sample_cumulants)
from cldm.analysis.moments import Ensemble, moment_tables
from cldm.analysis.quantities import CUMULANT_NS as NS, NMAX
from cldm.analysis.split import member_chains
from cldm.analysis.control_variates import control_variate_jackknife, cv_moments, reference_controls
from cldm.analysis.stats import control_variate_means, moments
from cldm.physics.exact import gaussian_cl_covariance, gaussian_moment, quartic_moment_quad

C = gaussian_cl_covariance(1.0, 1.0)  # z = x + iy of the Gaussian model at sigma = 1 + i: <z^2> = 1/sigma

# A non-Gaussian z with known cumulants: z = e^{i phi} (u + i v), u uniform on [-sqrt 3, sqrt 3], v = mu s + sd g
# (s = +-1, g standard normal), u, v independent. Cumulants add over independent parts and kappa_n(c w) = c^n kappa_n(w).
PHI, MU, SD = 0.4, 0.6, 0.5
UNIFORM = {2: 1.0, 4: -1.2, 6: 12**3 / 252, 8: -(12**4) / 240}  # kappa_n of U[0, 1] times (2 sqrt 3)^n
RADEMACHER = {2: 1, 4: -2, 6: 16, 8: -272}  # kappa_n of s = +-1: the Taylor coefficients of ln cosh t
KAPPA = {n: np.exp(1j * n * PHI) * (UNIFORM[n] + 1j**n * (RADEMACHER[n] * MU**n + (SD**2 if n == 2 else 0))) for n in NS}
GAUSS_KAPPA = {n: (0.5 - 0.5j if n == 2 else 0j) for n in NS}


def non_gaussian(u, s, g):
    return np.exp(1j * PHI) * (np.sqrt(3) * (2 * u - 1) + 1j * (MU * s + SD * g))


def draw_non_gaussian(rng, shape):
    return non_gaussian(rng.random(shape), rng.choice([-1, 1], shape), rng.standard_normal(shape))


def draw_gaussian(rng, shape):
    xy = rng.multivariate_normal([0, 0], C, size=shape)
    return xy[..., 0] + 1j * xy[..., 1]


def values(rows):
    return np.array([r["re"] + 1j * r["im"] for r in rows])


def pulls(rows, exact):
    return [[(r["re"] - exact[r["n"]].real) / r["re_err"], (r["im"] - exact[r["n"]].imag) / r["im_err"]] for r in rows]


def mean_square(p, replicas):
    """<pull^2> per quantity (kappa_n, Re and Im) over the replicas, and the band it must lie in:
    for Gaussian pulls of correct errors its mean is 1 and its standard deviation sqrt(2/R)."""
    ms = (np.asarray(p).reshape(replicas, -1) ** 2).mean(axis=0)
    return ms, 3 * np.sqrt(2 / replicas)


# ---- the recursion -------------------------------------------------------------------------------


def test_recursion_gives_the_closed_forms():
    m = np.random.default_rng(0).normal(size=(8, 2)) @ [1, 1j]
    m1, m2, m3, m4, m5, m6, m7, m8 = m
    k = cumulants(m)
    assert k[1] == pytest.approx(m2 - m1**2)
    assert k[3] == pytest.approx(m4 - 4 * m3 * m1 - 3 * m2**2 + 12 * m2 * m1**2 - 6 * m1**4)
    m[::2] = 0  # symmetric: odd moments 0
    k = cumulants(m)
    assert k[3] == pytest.approx(m4 - 3 * m2**2)
    assert k[5] == pytest.approx(m6 - 15 * m4 * m2 + 30 * m2**3)
    assert k[7] == pytest.approx(m8 - 28 * m6 * m2 - 35 * m4**2 + 420 * m4 * m2**2 - 630 * m2**4)
    assert np.all(k[::2] == 0)


def test_jacobian_is_the_derivative():
    m = np.random.default_rng(1).normal(size=(8, 2)) @ [1, 1j]
    jac, h = cumulant_jacobian(m), 1e-6
    for j in range(8):
        dm = np.eye(8)[j] * h
        for step in (dm, 1j * dm):  # holomorphic: the same derivative along Re and Im
            assert np.allclose((cumulants(m + step) - cumulants(m - step)) / (2 * step[j]), jac[:, j], atol=1e-6)


# ---- exact cumulants -----------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [1 + 1j, 2 - 0.5j, 0.7 + 3j])
def test_gaussian_cumulants_vanish_beyond_the_second(sigma):
    """<z^n> = (n-1)!!/sigma^(n/2) are the moments of N(0, 1/sigma): kappa_2 = 1/sigma, the rest 0."""
    exact = exact_cumulants("gaussian", sigma.real, sigma.imag)
    assert exact == {2: 1 / sigma, 4: 0, 6: 0, 8: 0}
    k = cumulants([gaussian_moment(sigma, n) for n in range(1, 9)])
    assert k[1] == pytest.approx(1 / sigma, abs=1e-15) and np.abs(k[2:]).max() < 1e-13


def test_gaussian_samples_have_gaussian_cumulants():
    """z = x + iy of the Gaussian CL distribution: <z^2> = C_xx - C_yy + 2i C_xy = 1/sigma, and z is a
    linear function of a Gaussian vector, so its higher cumulants vanish."""
    assert complex(C[0, 0] - C[1, 1], 2 * C[0, 1]) == pytest.approx(1 / (1 + 1j))


def test_quartic_cumulants():
    """sigma = 1 + i, lambda = 1: the published exact Re kappa_4 = -0.0603, Im kappa_8 = 0.592 (issue 14's
    table, arXiv 2510.01328), and the cumulants of the moments by quadrature along the real axis."""
    exact = exact_cumulants("quartic", 1.0, 1.0, 1.0)
    assert round(exact[4].real, 4) == -0.0603 and round(exact[8].imag, 3) == 0.592
    quad = cumulants([quartic_moment_quad(1 + 1j, 1.0, n) for n in range(1, 9)])
    for n in NS:
        assert exact[n] == pytest.approx(quad[n - 1], rel=1e-8)


# ---- coverage of the error bars ------------------------------------------------------------------


def uncorrelated_errors(rows, m):
    """The cumulants' errors as if the moments m (rows of `moments`) were uncorrelated: the control."""
    jac = cumulant_jacobian(values(m))
    er, ei = (np.array([x[f"{part}_err"] for x in m]) ** 2 for part in ("re", "im"))
    out = []
    for r in rows:
        a, b = jac[r["n"] - 1].real ** 2, jac[r["n"] - 1].imag ** 2
        out.append(dict(r, re_err=np.sqrt(a @ er + b @ ei), im_err=np.sqrt(b @ er + a @ ei)))
    return out


@pytest.mark.parametrize("draw, exact", [(draw_gaussian, GAUSS_KAPPA), (draw_non_gaussian, KAPPA)],
                         ids=["gaussian", "non-gaussian"])
def test_errors_of_independent_samples_cover(draw, exact):
    """200 replicas of 4000 samples: <pull^2> of every kappa_n (Re, Im) within 3 standard deviations
    of 1. Errors that treat the moments as independent fail this (by 5-100x in <pull^2> for the
    Gaussian's kappa_6, kappa_8, whose moments are strongly correlated)."""
    replicas, p, naive = 200, [], []
    for r in range(replicas):
        z = draw(np.random.default_rng(r), 4000)
        m = moments(z, 8, iid=True)
        rows = sample_cumulants(z, values(m))
        p.append(pulls(rows, exact))
        naive.append(pulls(uncorrelated_errors(rows, m), exact))
    ms, band = mean_square(p, replicas)
    assert np.all(np.abs(ms - 1) < band), ms
    if draw is draw_gaussian:
        assert np.all(mean_square(naive, replicas)[0][4:] < 1 - band)  # the control: the mechanism matters


def test_control_variates_shrink_the_errors_and_cover():
    """z = z_ref + 0.3 w, z_ref ~ N(0, C) known, w the non-Gaussian z: kappa_n = kappa_n(z_ref) + 0.3^n
    kappa_n(w). 200 replicas of 4000 samples: with z_ref's monomials as control variates the error
    of kappa_2 (mostly z_ref's) shrinks, and by the jackknife of the fit all errors cover; the
    residual spread of the fit alone does not at this N (<pull^2> of kappa_8 about 2.5: the fitted
    coefficients' error is not small)."""
    replicas, p, spread, ratio = 200, [], [], []
    exact = {n: GAUSS_KAPPA[n] + 0.3**n * KAPPA[n] for n in NS}
    for r in range(replicas):
        rng = np.random.default_rng(r)
        z_ref = draw_gaussian(rng, 4000)
        z = z_ref + 0.3 * draw_non_gaussian(rng, 4000)
        m = values(cv_moments(z, z_ref, np.zeros(2), C, NMAX))
        rows = sample_cumulants(z, m, NS, z_ref, np.zeros(2), C)
        plain = sample_cumulants(z, values(moments(z, 8, iid=True)))
        p.append(pulls(rows, exact))
        ratio.append([r["re_err"] / q["re_err"] for r, q in zip(rows, plain)])
        lin = np.stack([linearized(z, m, n) for n in NS], axis=1)
        err = control_variate_means(np.concatenate([lin.real, lin.imag], axis=1),
                                    *reference_controls(z_ref, np.zeros(2), C))[1]
        spread.append(pulls([dict(r, re_err=err[i], im_err=err[4 + i]) for i, r in enumerate(rows)], exact))
    ms, band = mean_square(p, replicas)
    assert np.all(np.abs(ms - 1) < band), ms
    assert np.mean(ratio, axis=0)[0] < 0.7, np.mean(ratio, axis=0)
    assert np.all(mean_square(spread, replicas)[0][[3, 7]] > 1 + band)  # the control: kappa_8 without the jackknife


def test_control_variate_jackknife_refits_without_each_group():
    """The normal-equation jackknife equals refitting control_variate_means without each group."""
    rng = np.random.default_rng(7)
    g = rng.standard_normal((3000, 2)) @ [[1.0, 0.3], [0.0, 0.5]]
    g = np.concatenate([g, g**2, g[:, :1] ** 3], axis=1)
    f = np.stack([g[:, 0] ** 4 + rng.standard_normal(3000), np.sin(g[:, 1])], axis=1)
    g_mean = g.mean(axis=0) + 0.01
    groups = np.array_split(np.arange(3000), 10)
    est = np.array([control_variate_means(np.delete(f, b, axis=0), np.delete(g, b, axis=0), g_mean)[0] for b in groups])
    brute = np.sqrt(9 / 10 * np.sum((est - est.mean(axis=0)) ** 2, axis=0))
    assert control_variate_jackknife(f, g, g_mean, groups=10) == pytest.approx(brute, rel=1e-9)


def ar1(rng, shape, rho):
    """Stationary Gaussian AR(1) chains of unit variance, autocorrelation rho^t."""
    e = rng.standard_normal(shape)
    e[:, 0] /= np.sqrt(1 - rho**2)
    return lfilter([np.sqrt(1 - rho**2)], [1, -rho], e, axis=1)


def non_gaussian_chains(rng, shape, rho=0.8, flip=0.1):
    """Markov chains whose samples have the non-Gaussian law above: u = Phi(AR(1)), g AR(1), s a sign
    that flips with probability `flip` per step."""
    s = np.where(rng.random((shape[0], 1)) < 0.5, 1, -1) * np.cumprod(np.where(rng.random(shape) < flip, -1, 1), axis=1)
    return non_gaussian(ndtr(ar1(rng, shape, rho)), s, ar1(rng, shape, rho))


def test_errors_of_markov_chains_cover():
    """100 replicas of 16 chains x 1000 samples (tau_int of the cumulants ~1.3): the Gamma method on
    the linearised series and the jackknife over 16 blocks of chains cover; errors that ignore the
    autocorrelation do not."""
    replicas, gamma, jack, iid = 100, [], [], []
    for r in range(replicas):
        z = non_gaussian_chains(np.random.default_rng(r), (16, 1000))
        m = values(moments(z, 8))
        gamma.append(pulls(chain_cumulants(z, m), KAPPA))
        jack.append(pulls(jackknife_cumulants(z, 16), KAPPA))
        iid.append(pulls(sample_cumulants(z.ravel(), m), KAPPA))
    for p in (gamma, jack):
        ms, band = mean_square(p, replicas)
        assert abs(ms.mean() - 1) < band, ms  # pooled over the 8 correlated quantities: no tighter band
    ms, band = mean_square(iid, replicas)
    assert ms.mean() > 1 + band, ms


def test_dm_cumulant_errors_cover():
    """A DM ensemble whose 4 members reproduce their own share of the CL chains (resampled, times a
    random 1 + 0.02 N(0, 1) per member: a model error): 60 replicas, the pooled kappa_n cover, and
    they would not without the data's CL error in the pooled error."""
    replicas, shares, p, without_data = 60, [member_chains(64, 4, k, 0.1)[0] for k in range(4)], [], []
    for r in range(replicas):
        rng = np.random.default_rng(r)
        z_cl = draw_non_gaussian(rng, (64, 100))
        z = np.concatenate([rng.choice(z_cl[s].ravel(), 5000) * (1 + 0.02 * rng.standard_normal()) for s in shares])
        table, budget = moment_tables(dict(model="gaussian", A=1.0, B=1.0), z_cl,
                                      {"DM": Ensemble(z, np.repeat(np.arange(4), 5000), shares)})
        rows = table[(table.quantity == "cumulant") & (table.estimator == "DM")].to_dict("records")
        p.append(pulls(rows, KAPPA))
        parts = budget[(budget.quantity == "cumulant") & (budget.estimator == "DM")]
        reduced = np.sqrt(parts.err.values**2 - parts.err_data.values**2).reshape(-1, 2)
        without_data.append(pulls([dict(r, re_err=e[0], im_err=e[1]) for r, e in zip(rows, reduced)], KAPPA))
    ms, band = mean_square(p, replicas)
    assert abs(ms.mean() - 1) < band, ms
    assert mean_square(without_data, replicas)[0].mean() > 1 + band
