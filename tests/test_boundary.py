"""Boundary terms, drift decay, relaxation rate and the trust rule, on cases with a known answer."""

import numpy as np
import pytest

from cldm.physics.actions import Gaussian, Quartic
from cldm.physics.boundary import (
    Cuts,
    boundary_scan,
    boundary_terms,
    cutoffs,
    distance,
    drift_decay,
    drift_exponent_bound,
    langevin_operator,
    plateau,
)
from cldm.physics.diagnostics import cl_diagnostics, trust
from cldm.physics.relaxation import relaxation_rate
from cldm.physics.exact import exact_moments, gaussian_cl_covariance, quartic_moments_quadrature
from cldm.physics.langevin import simulate
from cldm.analysis.stats import mean_error, mean_errors
from cldm.settings.langevin import Langevin

SETTINGS = Langevin()
Z = SETTINGS.diagnostic_z


def gaussian_cl_samples(A: float, B: float, chains: int, samples: int, seed: int) -> np.ndarray:
    """Independent samples of the exact stationary CL density of the Gaussian model, (chains, samples)."""
    xy = np.random.default_rng(seed).multivariate_normal([0, 0], gaussian_cl_covariance(A, B), size=chains * samples)
    return (xy[:, 0] + 1j * xy[:, 1]).reshape(chains, samples)


def test_langevin_operator_of_z2_and_z4():
    z = np.array([0.3 + 0.2j, -1.1 + 0.7j])
    a = Quartic(-2 + 1j, 1.0)
    k = -z * (-2 + 1j + z**2)
    np.testing.assert_allclose(langevin_operator(a, z, 2), 2 + 2 * z * k, rtol=1e-14)
    np.testing.assert_allclose(langevin_operator(a, z, 4), 12 * z**2 + 4 * z**3 * k, rtol=1e-14)


def test_batched_gamma_method_equals_the_single_one():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((50, 300, 3)).cumsum(axis=1) * 0.1 + rng.standard_normal((50, 300, 3))
    mean, err, tau = mean_errors(x)
    for j in range(3):
        np.testing.assert_allclose((mean[j], err[j], tau[j]), mean_error(x[:, :, j]), rtol=1e-10)


def test_cutoffs_run_down_the_tail_to_the_uncut_mean():
    d = np.random.default_rng(0).exponential(size=10_000)
    q, y = cutoffs(d, 4)
    assert np.all(np.diff(y) > 0) and y[-1] == np.inf and q[-1] == 0
    assert q[0] == pytest.approx(10**-0.25, abs=1e-3) and q[-2] == pytest.approx(1e-4, rel=0.01)
    for qj, yj in zip(q[:-1], y[:-1]):  # a fraction q_j of the samples lies beyond Y_j
        assert np.mean(d > yj) == pytest.approx(qj, abs=1.5e-4)


def test_scan_equals_direct_cut_means_with_gamma_errors():
    """The block-sum machinery gives exactly <f Theta(Y - d)>, and its errors agree with the plain
    Gamma method on the unblocked series."""
    z = gaussian_cl_samples(1.0, 1.0, 64, 500, 1)
    lo, d = langevin_operator(Gaussian(1 + 1j), z, 2), distance(z, "abs")
    scan = boundary_scan(lo, Cuts.of(d, 4))
    for j in (0, 5, len(scan["Y"]) - 1):
        value, err, _ = mean_error((lo * (d <= scan["Y"][j])).real)
        assert scan["re"][j] == pytest.approx(value, abs=1e-12)
        assert scan["re_err"][j] == pytest.approx(err, rel=0.15)


def tail_exponent(action, z) -> float:
    return drift_decay(np.abs(action.drift(z.copy())), SETTINGS.drift_tail_fraction, Z)["exponent"]


def test_correct_distribution_has_no_boundary_term():
    """Exact samples of the Gaussian CL density at sigma = 1 + i: <L z^n> = 0, so the plateau vanishes,
    whether its value is taken uncut (Gaussian tails: L z^n has a variance) or at its first cut-off."""
    z = gaussian_cl_samples(1.0, 1.0, 128, 500, 2)
    a = tail_exponent(Gaussian(1 + 1j), z)
    assert a > drift_exponent_bound(2, 4)
    for t in boundary_terms(Gaussian(1 + 1j), z, SETTINGS, tail_exponent=a) + boundary_terms(Gaussian(1 + 1j), z, SETTINGS):
        p = t["plateau"]
        assert t["verdict"] == "none", t
        assert abs(p["re"]) < Z * p["re_err"] and abs(p["im"]) < Z * p["im_err"]


def test_wrong_distribution_has_the_boundary_term_it_should():
    """Samples of the Gaussian CL density of sigma' = 1.3 + 0.8i used as if they were for sigma = 1 + i:
    <L z^2> = 2 - 2 sigma/sigma' and <L z^4> = 12/sigma' - 12 sigma/sigma'^2, known exactly. The
    plateau finds both, and predicts <z^2>_CL - <z^2> = 1/sigma' - 1/sigma with kappa = 2 sigma
    (exact here: z^2 - 1/sigma is an eigenfunction of L)."""
    sigma, wrong = 1 + 1j, 1.3 + 0.8j
    z = gaussian_cl_samples(wrong.real, wrong.imag, 128, 500, 3)
    kappa = relaxation_rate(sigma, 0)
    terms = boundary_terms(Gaussian(sigma), z, SETTINGS, kappa, tail_exponent=tail_exponent(Gaussian(sigma), z))
    assert [t["plateau"]["value_at"] for t in terms] == ["uncut", "uncut"]
    expected = {2: 2 - 2 * sigma / wrong, 4: 12 / wrong - 12 * sigma / wrong**2}
    for t in terms:
        p, b = t["plateau"], expected[t["n"]]
        assert t["verdict"] == "present"
        assert abs(p["re"] - b.real) < Z * p["re_err"] and abs(p["im"] - b.imag) < Z * p["im_err"], (t["n"], p, b)
    shift = terms[0]["predicted_shift"]
    truth = 1 / wrong - 1 / sigma
    assert abs(shift["re"] - truth.real) < Z * shift["re_err"] and abs(shift["im"] - truth.imag) < Z * shift["im_err"]


def synthetic_scan(level: np.ndarray, noise: np.ndarray, seed: int) -> dict:
    """A scan whose cut-off j has mean level[j] and error noise[j] (independent groups and blocks)."""
    rng = np.random.default_rng(seed)
    groups, blocks = 200, 20
    scale = noise * np.sqrt(groups * blocks)
    real = level + scale * rng.standard_normal((groups, blocks, level.size))
    n = level.size
    return dict(q=np.r_[10.0 ** -np.arange(1, n) / 4, 0], Y=np.r_[np.arange(1.0, n), np.inf], re=real.mean(axis=(0, 1)),
                re_err=noise, im=np.zeros(n), im_err=np.zeros(n), series={"real": real, "imag": np.zeros_like(real)})


def test_plateau_is_the_run_of_agreeing_cut_offs():
    """A scan that settles at -0.5 after the bulk: the plateau starts where it settles; its value
    is the first cut-off's (heavy tails) or the uncut mean's (L O with a variance)."""
    scan = synthetic_scan(np.array([3.0, 1.5, 0.2, -0.4, -0.5, -0.5, -0.5, -0.5]),
                          np.array([0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.5]), 4)
    p = plateau(scan, Z, uncut=False, min_cuts=4)
    assert (p["start"], p["end"]) == (4, 7) and p["re"] == pytest.approx(-0.5, abs=0.05) and p["re_err"] == 0.01
    p = plateau(scan, Z, uncut=True, min_cuts=4)
    assert p["start"] == 4 and p["re_err"] == 0.5


def test_plateau_is_not_the_noisy_tail():
    """Heavy tails: a precise plateau at -0.6 (5 cut-offs), then cut-offs so noisy that they agree with
    each other (and with 0) through their errors alone (8 cut-offs, the first off the plateau by 11
    errors); the plateau is the precise run, not the longer noisy one."""
    level = np.array([2.0, 1.0, -0.6, -0.6, -0.6, -0.6, -0.6, 0.5, -2.0, 3.0, 1.0, -4.0, 2.0, 5.0, 0.0])
    noise = np.array([0.01, 0.01, 0.02, 0.021, 0.022, 0.03, 0.031, 0.1, 2, 3, 3, 4, 4, 5, 5])
    p = plateau(synthetic_scan(level, noise, 5), Z, uncut=False, min_cuts=4)
    assert p["start"] == 2 and p["re"] == pytest.approx(-0.6, abs=0.1) and p["re_err"] == 0.02


@pytest.fixture(scope="module")
def cl_runs():
    """Short CL runs (the engine of the study, 128 chains) at a right and a wrong point."""
    args = dict(chains=128, samples=400, interval=0.1, therm=5.0, eps=0.005, integrator="heun", kref=20.0)
    return {s: (Quartic(s, 1.0), simulate(Quartic(s, 1.0), **args, seed=5)) for s in (1 + 1j, -2 + 1j)}


def test_right_cl_has_no_boundary_term_and_is_trusted(cl_runs):
    action, z = cl_runs[1 + 1j]
    d = cl_diagnostics(action, dict(model="quartic", A=1.0, B=1.0, lam=1.0), z, SETTINGS)
    assert d["trusted"], d["reasons"]
    assert [t["verdict"] for t in d["boundary_terms"]] == ["none", "none"]
    assert d["drift"]["exponent"] > d["drift"]["exponent_bound"]


def test_wrong_cl_has_a_boundary_term_that_predicts_its_error(cl_runs):
    """sigma = -2 + i: CL converges to a wrong <z^2>; the z^2 plateau is nonzero and the shift it
    predicts has the sign and the size (within a factor 2) of the actual CL error."""
    action, z = cl_runs[-2 + 1j]
    d = cl_diagnostics(action, dict(model="quartic", A=-2.0, B=1.0, lam=1.0), z, SETTINGS)
    assert not d["trusted"] and d["boundary_terms"][0]["verdict"] == "present"
    assert d["boundary_terms"][0]["plateau"]["value_at"] == "first cut-off"  # heavy tails: the uncut mean is noise
    assert any("boundary term of z^2" in r for r in d["reasons"])
    re, re_err, _ = mean_error((z**2).real)
    error = re - exact_moments("quartic", -2.0, 1.0, 1.0)[2].real
    assert error > 5 * re_err  # CL is wrong here
    shift = d["boundary_terms"][0]["predicted_shift"]["re"]
    assert 0.5 < shift / error < 2, (shift, error)


def test_relaxation_rate_of_the_gaussian_is_2_sigma():
    """lam = 0: the complex harmonic oscillator, spectrum n sigma; the even sector's gap is 2 sigma."""
    for sigma in (1 + 1j, 2 - 0.5j):
        assert abs(relaxation_rate(sigma, 1e-12) - 2 * sigma) < 1e-4 * abs(sigma)


@pytest.mark.parametrize("sigma, lam", [(1 + 1j, 1.0), (-2 + 1j, 1.0), (1 + 1j, 1 - 1j)])
def test_relaxation_rate_agrees_with_a_galerkin_estimate_from_the_exact_moments(sigma, lam):
    """An independent method: -L is symmetric under the bilinear form (f, g) = <f g> of the exact
    weight, (f, -L g) = <f' g'>, so on even polynomials c_0 + c_1 z^2 + ... + c_N z^2N the Galerkin
    problem G c = kappa M c has G_ij = 4ij <z^(2i+2j-2)>, M_ij = <z^(2i+2j)>, from exact moments."""
    n = 6
    m = quartic_moments_quadrature(sigma, lam, nmax=4 * n)["moments"]
    mom = lambda k: 1.0 if k == 0 else m[k]  # noqa: E731
    G = np.array([[4 * i * j * mom(2 * i + 2 * j - 2) if i and j else 0 for j in range(n + 1)] for i in range(n + 1)])
    M = np.array([[mom(2 * i + 2 * j) for j in range(n + 1)] for i in range(n + 1)])
    from scipy.linalg import eigvals
    values = eigvals(G, M)
    values = values[np.argsort(np.abs(values))]
    assert abs(values[0]) < 1e-6
    assert abs(relaxation_rate(sigma, lam) - values[1]) < 1e-3 * abs(values[1])


def test_drift_decay_tells_a_power_law_from_an_exponential():
    rng = np.random.default_rng(6)
    pareto = (rng.pareto(1.5, 400_000) + 1)  # P(u > x) = x^-1.5
    d = drift_decay(pareto, 1e-3, Z)
    assert d["decay"] == "power law"
    assert abs(d["exponent"] - 1.5) < Z * 1.5 / np.sqrt(d["tail_samples"])
    d = drift_decay(rng.exponential(2.0, 4_000_000), 1e-3, Z)
    assert d["decay"] == "exponential" and d["scale"] == pytest.approx(2.0, rel=Z / np.sqrt(d["tail_samples"]))
    assert sum(d["histogram"]["density"] * np.diff(d["histogram"]["edges"])) == pytest.approx(1, abs=1e-3)


def test_drift_exponent_bound():
    assert drift_exponent_bound(4, 4) == pytest.approx(4) and drift_exponent_bound(4, 2) == pytest.approx(8 / 3)
    assert drift_exponent_bound(2, 4) == pytest.approx(8)


def test_trust_rule():
    term = lambda verdict: dict(observable="z^2", verdict=verdict, significance=10.0,  # noqa: E731
                                plateau=dict(re=-0.5, im=0.01, re_err=0.02, im_err=0.02, Y=3.0))
    assert trust([term("none")], dict(exponent=5.0), 4.0) == []
    assert "boundary term of z^2" in trust([term("present")], dict(exponent=5.0), 4.0)[0]
    assert "power law" in trust([term("none")], dict(exponent=1.4), 4.0)[0]
