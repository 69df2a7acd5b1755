import numpy as np
import pytest

from cldm.physics.actions import Gaussian, Quartic
from cldm.physics.diagnostics import cl_diagnostics, step_scan
from cldm.physics.exact import quartic_moments
from cldm.physics.langevin import simulate
from cldm.analysis.stats import mean_error
from cldm.settings.langevin import Langevin

SETTINGS = Langevin()
ARGS = dict(chains=1024, samples=300, interval=0.1, therm=5.0, eps=0.01, integrator="heun", kref=20.0, seed=21)


def quartic(B):
    return dict(model="quartic", A=1.0, B=B, lam=1.0)


@pytest.fixture(scope="module")
def sigma_1_plus_i():
    action = Quartic(1 + 1j, 1.0)
    return action, simulate(action, **ARGS)


def test_quartic_inside_the_strip_is_trusted(sigma_1_plus_i):
    action, z = sigma_1_plus_i
    d = cl_diagnostics(action, quartic(1.0), z, SETTINGS)
    assert d["trusted"], d["reasons"]
    assert d["max_abs_y"] < d["y_minus"] and d["notes"] == []
    for t in d["boundary_terms"]:  # <L z^n> = 0 within errors
        p = t["plateau"]
        assert abs(p["re"]) < 3 * p["re_err"] and abs(p["im"]) < 3 * p["im_err"], t


def test_gaussian_is_trusted():
    action = Gaussian(1 + 1j)
    d = cl_diagnostics(action, dict(model="gaussian", A=1.0, B=1.0), simulate(action, **ARGS), SETTINGS)
    assert d["trusted"] and d["y_minus"] is None
    assert d["relaxation_rate"] == dict(re=2.0, im=2.0)


def test_samples_outside_the_strip_are_noted_not_decisive(sigma_1_plus_i):
    action, z = sigma_1_plus_i
    z = z.copy()
    z[0, 0] = 0.1 + 0.5j
    d = cl_diagnostics(action, quartic(1.0), z, SETTINGS)
    assert "leave the strip" in " ".join(d["notes"]) and not any("strip" in r for r in d["reasons"])


def test_point_without_strip_is_judged_by_evidence():
    """sigma = 1 + 2i (B^2 > 3A^2): no strip, but CL is right; the old rule of thumb distrusted it,
    the boundary terms and the drift decay do not. The CL error is measured, not assumed."""
    action = Quartic(1 + 2j, 1.0)
    z = simulate(action, **ARGS)
    d = cl_diagnostics(action, quartic(2.0), z, SETTINGS)
    exact = quartic_moments(1 + 2j, 1.0)[2]
    re, re_err, _ = mean_error((z**2).real)
    im, im_err, _ = mean_error((z**2).imag)
    assert abs(re - exact.real) < 3 * re_err and abs(im - exact.imag) < 3 * im_err
    assert d["trusted"], d["reasons"]
    assert any("no strip" in n for n in d["notes"])


def test_heavy_tails_are_flagged(sigma_1_plus_i):
    action, z = sigma_1_plus_i
    rng = np.random.default_rng(0)
    heavy = (rng.pareto(1.0, z.shape) + 1) * np.exp(2j * np.pi * rng.random(z.shape))  # P(|z| > r) ~ 1/r
    d = cl_diagnostics(action, quartic(1.0), z + 0.01 * heavy, SETTINGS)
    assert not d["trusted"] and any("power law" in r for r in d["reasons"])
    assert d["drift"]["decay"] == "power law"


def test_step_scan_extrapolates_to_the_exact_value():
    """Euler at 0.02 and 0.04 is biased; its linear extrapolation to eps = 0 agrees with exact."""
    settings = Langevin(integrator="euler", step=0.02, kref=None, chains=2048, samples=500, interval=0.2, therm=5.0,
                        step_scan=(2.0,), scan_chains=2048)
    scan = step_scan(Quartic(1 + 1j, 1.0), settings, seed=3)
    exact = quartic_moments(1 + 1j, 1.0)[2].real
    first, fit = scan["runs"][0], scan["extrapolated"]["z2_re"]
    assert abs(first["z2_re"] - exact) > 4 * first["z2_re_err"], scan
    assert abs(fit["value"] - exact) < 3 * fit["err"], scan


def test_step_scan_takes_the_step_itself_from_the_runs_own_chains():
    """Given the run's chains, the scan's row at the run's step is theirs (all of them, not
    scan_chains fresh ones) and only the factors are simulated; without them it simulates that row
    too, from other chains."""
    settings = Langevin(chains=64, samples=200, therm=2.0, step_scan=(2.0,), scan_chains=32)
    action = Quartic(1 + 1j, 1.0)
    z = simulate(action, **settings.engine(), seed=5)
    own, fresh = step_scan(action, settings, seed=3, z=z), step_scan(action, settings, seed=3)
    z2 = np.mean(z**2)
    assert own["runs"][0]["chains"] == 64 and fresh["runs"][0]["chains"] == 32
    assert own["runs"][0]["z2_re"] == pytest.approx(z2.real, rel=1e-12)
    assert own["runs"][0]["z2_im"] == pytest.approx(z2.imag, rel=1e-12)
    assert fresh["runs"][0]["z2_re"] != pytest.approx(z2.real, rel=1e-6)
    assert own["runs"][1] == fresh["runs"][1]  # the factor's run: the same fresh chains either way
