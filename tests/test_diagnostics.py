import numpy as np
import pytest

from cldm.physics.actions import Gaussian, Quartic
from cldm.physics.diagnostics import cl_diagnostics, step_scan
from cldm.physics.exact import quartic_moments
from cldm.physics.langevin import simulate
from cldm.analysis.stats import mean_error
from cldm.settings.langevin import Langevin

ARGS = dict(chains=1024, samples=300, interval=0.1, therm=5.0, eps=0.01, integrator="heun", kref=20.0, seed=21)


def quartic(B):
    return dict(model="quartic", A=1.0, B=B, lam=1.0)


@pytest.fixture(scope="module")
def sigma_1_plus_i():
    action = Quartic(1 + 1j, 1.0)
    return action, simulate(action, **ARGS)


def test_quartic_inside_the_strip_is_trusted(sigma_1_plus_i):
    action, z = sigma_1_plus_i
    d = cl_diagnostics(action, quartic(1.0), z)
    assert d["trusted"], d["reasons"]
    assert d["max_abs_y"] < d["y_minus"]
    for c in d["consistency"]:  # <L_c z^n> = 0 within errors
        assert abs(c["re"]) < 3 * c["re_err"] and abs(c["im"]) < 3 * c["im_err"], c


def test_gaussian_is_trusted():
    action = Gaussian(1 + 1j)
    d = cl_diagnostics(action, dict(model="gaussian", A=1.0, B=1.0), simulate(action, **ARGS))
    assert d["trusted"] and d["y_minus"] is None


def test_samples_outside_the_strip_are_flagged(sigma_1_plus_i):
    action, z = sigma_1_plus_i
    z = z.copy()
    z[0, 0] = 0.1 + 0.5j
    d = cl_diagnostics(action, quartic(1.0), z)
    assert not d["trusted"] and "leave the strip" in " ".join(d["reasons"])


def test_point_without_strip_is_flagged_and_measured():
    """sigma = 1 + 2i (B^2 > 3A^2): no strip, so CL is not trusted. The flag is analytic; the
    measured deviation from the exact <z^2> is reported in the message, not assumed."""
    action = Quartic(1 + 2j, 1.0)
    z = simulate(action, **ARGS)
    d = cl_diagnostics(action, quartic(2.0), z)
    assert not d["trusted"]
    assert any("no strip" in r for r in d["reasons"])
    exact = quartic_moments(1 + 2j, 1.0)[2]
    re, re_err, _ = mean_error((z**2).real)
    print(f"sigma = 1 + 2i: CL Re<z^2> = {re:.5f} +- {re_err:.5f}, exact {exact.real:.5f}")


def test_heavy_tails_are_flagged(sigma_1_plus_i):
    action, z = sigma_1_plus_i
    rng = np.random.default_rng(0)
    heavy = (rng.pareto(1.0, z.shape) + 1) * np.exp(2j * np.pi * rng.random(z.shape))  # P(|z| > r) ~ 1/r
    d = cl_diagnostics(action, quartic(1.0), z + 0.01 * heavy)
    assert any("power-law tail" in r for r in d["reasons"])


def test_step_scan_extrapolates_to_the_exact_value():
    """Euler at 0.02 and 0.04 is biased; its linear extrapolation to eps = 0 agrees with exact."""
    settings = Langevin(integrator="euler", step=0.02, kref=None, chains=2048, samples=500, interval=0.2, therm=5.0,
                        step_scan=(2.0,), scan_chains=2048)
    scan = step_scan(Quartic(1 + 1j, 1.0), settings, seed=3)
    exact = quartic_moments(1 + 1j, 1.0)[2].real
    first, fit = scan["runs"][0], scan["extrapolated"]["z2_re"]
    assert abs(first["z2_re"] - exact) > 4 * first["z2_re_err"], scan
    assert abs(fit["value"] - exact) < 3 * fit["err"], scan
