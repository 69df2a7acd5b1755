import numpy as np
import pytest

from cldm import CldmError
from cldm.physics.actions import Gaussian, Quartic
from cldm.physics.exact import gaussian_cl_covariance, gaussian_moment, quartic_moments, strip_bounds
from cldm.physics.langevin import simulate
from cldm.analysis.stats import mean_error, moments

from helpers import pull_report


def run(action, **kw):
    args = dict(chains=2048, samples=400, interval=0.1, therm=5.0, eps=0.01, integrator="heun", kref=None, seed=11)
    return simulate(action, **{**args, **kw})


@pytest.fixture(scope="module")
def gaussian_samples():
    return run(Gaussian(1 + 1j))


@pytest.fixture(scope="module")
def quartic_samples():
    return run(Quartic(1 + 1j, 1.0), kref=20.0)


def test_gaussian_moments(gaussian_samples):
    rows = []
    for r in moments(gaussian_samples, 4)[1::2]:
        exact = gaussian_moment(1 + 1j, r["n"])
        rows += [(f"Re<z^{r['n']}>", r["re"], exact.real, r["re_err"]), (f"Im<z^{r['n']}>", r["im"], exact.imag, r["im_err"])]
    assert all(abs(v - e) < 3 * s for _, v, e, s in rows), pull_report(rows)


def test_gaussian_stationary_distribution(gaussian_samples):
    """<x^2> = 3/4, <y^2> = 1/4, <xy> = -1/4 from P(x, y) ∝ exp(-x^2 - 3y^2 - 2xy)."""
    x, y = gaussian_samples.real, gaussian_samples.imag
    c = gaussian_cl_covariance(1, 1)
    rows = [(name, *mean_error(obs)[:1], c[i, j], mean_error(obs)[1]) for name, obs, i, j in
            [("<x^2>", x * x, 0, 0), ("<y^2>", y * y, 1, 1), ("<xy>", x * y, 0, 1)]]
    assert all(abs(v - e) < 3 * s for _, v, e, s in rows), pull_report(rows)


def test_quartic_moments(quartic_samples):
    exact = quartic_moments(1 + 1j, 1.0)
    rows = []
    for r in moments(quartic_samples, 8)[1::2]:
        rows += [(f"Re<z^{r['n']}>", r["re"], exact[r["n"]].real, r["re_err"]),
                 (f"Im<z^{r['n']}>", r["im"], exact[r["n"]].imag, r["im_err"])]
    assert all(abs(v - e) < 3 * s for _, v, e, s in rows), pull_report(rows)


def test_quartic_stays_in_the_strip(quartic_samples):
    assert np.abs(quartic_samples.imag).max() < strip_bounds(1, 1, 1)[0]


def test_second_order_scheme_removes_the_step_bias():
    """At a coarse step plain Euler misses Re<z^2> by many sigma; Heun agrees with exact."""
    exact = quartic_moments(1 + 1j, 1.0)[2].real
    results = {}
    for integrator in ("euler", "heun"):
        z = run(Quartic(1 + 1j, 1.0), eps=0.02, integrator=integrator, samples=1000, seed=5)
        results[integrator] = mean_error((z**2).real)[:2]
    (e_val, e_err), (h_val, h_err) = results["euler"], results["heun"]
    assert abs(e_val - exact) > 5 * e_err, results
    assert abs(h_val - exact) < 3 * h_err, results


def test_same_seed_same_bits_other_seed_other_bits():
    a = run(Quartic(1 + 1j, 1.0), chains=64, samples=20, seed=3)
    b = run(Quartic(1 + 1j, 1.0), chains=64, samples=20, seed=3)
    c = run(Quartic(1 + 1j, 1.0), chains=64, samples=20, seed=4)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)


def test_chains_are_independent():
    """Different chains follow different noise: their samples are uncorrelated."""
    z = run(Gaussian(1 + 1j), chains=256, samples=200, therm=1.0)
    r = np.corrcoef(z.real)[np.triu_indices(256, 1)]
    assert abs(r.mean()) < 0.01


def test_runaway_names_the_chain():
    with pytest.raises(CldmError, match=r"CL runaway: chain\(s\) \[\d+"):
        run(Quartic(1 + 1j, 1.0), chains=256, samples=10, eps=0.5, integrator="euler", interval=0.5, therm=0)


def test_adaptive_step_prevents_the_runaway():
    z = run(Quartic(1 + 1j, 1.0), chains=256, samples=10, eps=0.5, integrator="euler", interval=0.5, therm=0, kref=1.0)
    assert np.isfinite(z).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="integrator"):
        run(Gaussian(1 + 1j), integrator="rk4")
    with pytest.raises(ValueError, match="multiple of the step"):
        run(Gaussian(1 + 1j), interval=0.105)
