"""The periodic chain: model registry, action, CL for fields, exact results, observables, stages."""

import numpy as np
import pytest
from scipy.linalg import solve_continuous_lyapunov
from scipy.stats import multivariate_normal

from cldm import CldmError
from cldm.analysis.observables import (COLUMNS, observable_keys, observable_pulls, observable_series,
                                       observables_table, sample_rows)
from cldm.config import config_errors
from cldm.io import load_chains, save_samples
from cldm.physics import langevin
from cldm.physics.actions import Chain, Quartic, make_action
from cldm.physics.chain_exact import (chain_exact, chain_exact_transfer, gaussian_chain_cl_covariance,
                                      gaussian_chain_cl_score, gaussian_chain_exact, transfer_grid)
from cldm.physics.diagnostics import chain_diagnostics
from cldm.physics.exact import gaussian_cl_covariance, gaussian_moment, quartic_moments, strip_bounds
from cldm.physics.langevin import simulate
from cldm.physics.models import point_sites
from cldm.analysis.stats import mean_error

from helpers import pull_report

SIGMA = 1 + 1j
ARGS = dict(interval=0.1, therm=3.0, eps=0.01, integrator="heun", kref=20.0)


def chain_point(**kw):
    return {"points": {"c": {"model": "chain", "A": 1.0, "B": 1.0, "lam": 1.0, **kw}}, "seed": 1}


# ---- model registry and config -----------------------------------------------------------------


def test_a_chain_point_is_valid_and_has_L_values_per_sample():
    assert config_errors(chain_point(L=8)) == []
    assert point_sites(dict(model="chain", A=1.0, B=1.0, lam=1.0, L=8)) == 8
    assert point_sites(dict(model="quartic", A=1.0, B=1.0, lam=1.0)) == 1


@pytest.mark.parametrize("L, message", [
    (None, "points.c.L: missing; model 'chain' needs: L, A, B, lam"),
    (0, "points.c.L: 0 is not accepted; accepted: an integer >= 1"),
    (2.5, "points.c.L: 2.5 is a number, expected an integer >= 1"),
    (8.0, "points.c.L: 8.0 is a number, expected an integer >= 1 (write 8, without the decimal point)"),
    ("8", "points.c.L: '8' is a string, expected an integer >= 1 (quoted: write 8 without quotes)"),
])
def test_bad_L_is_refused_by_name(L, message):
    config = chain_point() if L is None else chain_point(L=L)
    errors = config_errors(config)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_L_on_a_one_variable_model_and_bad_couplings_are_refused_by_name():
    config = {"points": {"g": {"model": "gaussian", "A": 1.0, "B": 1.0, "L": 8}}, "seed": 1}
    assert config_errors(config) == ["points.g.L: not a parameter of model 'gaussian' (it takes: A, B)"]
    assert config_errors(chain_point(L=8, lam=-1.0)) == ["points.c.lam: -1.0 is not accepted; accepted: a number >= 0"]
    assert config_errors(chain_point(L=8, lam=0.0, A=0.0))[0].startswith("points.c.A: 0.0 <= 0 with lam = 0")
    assert config_errors(chain_point(L=8, lam=1.0, A=-1.0)) == []  # a double well is fine with lam > 0


# ---- action and drift --------------------------------------------------------------------------


def test_drift_is_minus_the_gradient_of_the_action():
    action = Chain(SIGMA, 0.7, 5)
    z = np.random.default_rng(0).normal(size=(3, 5)) + 0.3j * np.random.default_rng(1).normal(size=(3, 5))
    h = 1e-6
    grad = np.stack([(action.action(z + h * e) - action.action(z - h * e)) / (2 * h) for e in np.eye(5)], axis=-1)
    assert np.allclose(action.drift(z), -grad, atol=1e-8)


def test_one_site_is_the_quartic_model():
    z = np.array([[0.3 + 0.1j], [-1.2 + 0.4j]])
    assert np.allclose(Chain(SIGMA, 1.0, 1).drift(z), Quartic(SIGMA, 1.0).drift(z), rtol=1e-14)
    assert np.allclose(Chain(SIGMA, 1.0, 1).action(z), Quartic(SIGMA, 1.0).action(z[:, 0]), rtol=1e-14)
    assert make_action("chain", 1.0, 1.0, 1.0, 8) == Chain(SIGMA, 1.0, 8)


# ---- exact results -----------------------------------------------------------------------------


def largest_difference(a, b):
    return max(abs(a.phi2 - b.phi2), abs(a.phi4 - b.phi4), np.abs(a.G - b.G).max(), abs(a.M2 - b.M2),
               abs(a.M4 - b.M4))


@pytest.mark.parametrize("sigma, lam, L", [(SIGMA, 1.0, 8), (-1 + 1j, 1.0, 6), (1 + 2j, 0.0, 8)])
def test_transfer_matrix_is_converged_in_spacing_and_cutoff(sigma, lam, L):
    grid = transfer_grid(sigma, lam)
    default = chain_exact_transfer(sigma, lam, L)
    refined = chain_exact_transfer(sigma, lam, L, spacing=0.7 * (grid[1] - grid[0]), cutoff=1.25 * grid[-1])
    assert largest_difference(default, refined) < 1e-8


def test_a_coarse_grid_is_seen_by_the_convergence_check():
    """The check above can fail: spacing 0.4 (the default is 0.055 here, with a wide margin: 0.3 is still
    good to 2e-8), or the grid cut at 60% of the cutoff, is off by far more than 1e-8."""
    grid = transfer_grid(SIGMA, 1.0)
    default = chain_exact_transfer(SIGMA, 1.0, 8)
    assert largest_difference(default, chain_exact_transfer(SIGMA, 1.0, 8, spacing=0.4)) > 1e-6
    assert largest_difference(default, chain_exact_transfer(SIGMA, 1.0, 8, cutoff=0.6 * grid[-1])) > 1e-6


def test_the_quartic_chain_at_L_8():
    """L = 8, sigma = 1 + i, lam = 1: <phi^2> ~ 0.2844 - 0.0833i (measured elsewhere, issue 16)."""
    exact = chain_exact(1.0, 1.0, 1.0, 8)
    assert abs(exact.phi2 - (0.2844 - 0.0833j)) < 1e-4
    assert exact.G[0] == pytest.approx(exact.phi2, abs=1e-14)
    assert exact.chi == pytest.approx(exact.M2, abs=1e-12)  # sum_r G(r) and the h^2 coefficient agree
    assert np.allclose(exact.G[1:], exact.G[1:][::-1], atol=1e-12)  # G(r) = G(L - r)


@pytest.mark.parametrize("sigma, L", [(SIGMA, 8), (0.5 - 2j, 5)])
def test_gaussian_closed_forms_agree_with_the_transfer_matrix(sigma, L):
    assert largest_difference(gaussian_chain_exact(sigma, L), chain_exact_transfer(sigma, 0.0, L)) < 1e-10


def test_one_site_reduces_to_the_one_variable_models():
    quartic, gaussian = chain_exact(1.0, 1.0, 1.0, 1), chain_exact(1.0, 1.0, 0.0, 1)
    reference = quartic_moments(SIGMA, 1.0)
    assert abs(quartic.phi2 - reference[2]) < 1e-12 and abs(quartic.phi4 - reference[4]) < 1e-12
    assert abs(quartic.M4 - reference[4]) < 1e-12  # M = phi at L = 1
    assert abs(chain_exact_transfer(SIGMA, 0.0, 1).phi4 - gaussian_moment(SIGMA, 4)) < 1e-12
    assert abs(gaussian.phi2 - gaussian_moment(SIGMA, 2)) < 1e-14
    assert np.allclose(gaussian_chain_cl_covariance(1.0, 1.0, 1), gaussian_cl_covariance(1.0, 1.0), rtol=1e-14)


def test_gaussian_cl_covariance_solves_the_lyapunov_equation():
    """The OU process dx = -(C_R x - C_I y) dt + sqrt(2) dW, dy = -(C_I x + C_R y) dt, with
    C = -Laplacian + sigma, has H Cov + Cov H^T = 2 D."""
    A, B, L = 0.7, 1.3, 6
    lap = 2 * np.eye(L) - np.roll(np.eye(L), 1, 0) - np.roll(np.eye(L), -1, 0)
    H = np.block([[lap + A * np.eye(L), -B * np.eye(L)], [B * np.eye(L), lap + A * np.eye(L)]])
    D = np.diag([1.0] * L + [0.0] * L)
    cov = gaussian_chain_cl_covariance(A, B, L)
    assert np.allclose(cov, solve_continuous_lyapunov(H, 2 * D), atol=1e-13)
    # <phi_0 phi_r> = <x x> - <y y> + 2i <x y> is the exact G(r)
    G = cov[0, :L] - cov[L, L:] + 1j * (cov[0, L:] + cov[L, :L])
    assert np.allclose(G, gaussian_chain_exact(complex(A, B), L).G, atol=1e-13)


def test_gaussian_score_is_the_gradient_of_log_p_in_the_site_layout():
    A, B, L = 1.0, 1.0, 4
    cov = gaussian_chain_cl_covariance(A, B, L)
    xy = np.random.default_rng(2).normal(size=(3, L, 2))

    def logp(p):  # p (L, 2) -> u = (x_0..x_{L-1}, y_0..y_{L-1})
        return multivariate_normal(np.zeros(2 * L), cov).logpdf(np.concatenate([p[:, 0], p[:, 1]]))

    h = 1e-5
    units = np.eye(2 * L).reshape(2 * L, L, 2)  # unit vectors in the (L, 2) layout: (x, 0), (x, 1), ...
    for p, s in zip(xy, gaussian_chain_cl_score(A, B, xy)):
        numeric = np.array([(logp(p + h * e) - logp(p - h * e)) / (2 * h) for e in units]).reshape(L, 2)
        assert np.allclose(s, numeric, atol=1e-6)
    with pytest.raises(ValueError, match="B = 0"):
        gaussian_chain_cl_score(1.0, 0.0, xy)


# ---- CL for fields -----------------------------------------------------------------------------


def test_one_variable_engine_gives_main_s_numbers():
    """Quartic, sigma = 1 + i: the last samples of three chains as main's engine gave them for this
    seed (before fields were added); any change of noise order, steps or seeding shows here."""
    main = {("euler", None): [0.35576796099832975 + 0.13471403992826136j, 0.6939738633678049 - 0.2074753675061387j,
                              0.06764360474470854 + 0.06303075056013156j],
            ("heun", 20.0): [0.34820219387850526 + 0.1250658195904113j, 0.6889011546296788 - 0.2066657488120854j,
                             0.0664883797528526 + 0.06023389533922518j],
            ("heun", 1.0): [-0.4841812421053765 - 0.13296969893846255j, 0.8656600570397155 - 0.2044722035726569j,
                            -0.5081858117545083 + 0.06026655859240222j]}
    for (integrator, kref), values in main.items():
        z = simulate(Quartic(SIGMA, 1.0), chains=40, samples=5, interval=0.1, therm=0.3, eps=0.02,
                     integrator=integrator, kref=kref, seed=5)
        assert z.shape == (40, 5)
        np.testing.assert_allclose(z[[0, 17, 39], -1], values, rtol=1e-12)


@pytest.mark.parametrize("integrator, kref", [("euler", None), ("heun", 20.0)])
def test_a_one_site_chain_follows_the_one_variable_trajectories(integrator, kref):
    """Same seed, same noise: the L = 1 chain (shape (chains, samples, 1)) retraces the quartic model's
    chains up to rounding (its drift adds and subtracts the hopping term 2 phi)."""
    kw = dict(chains=50, samples=20, interval=0.1, therm=0.5, eps=0.01, integrator=integrator, kref=kref, seed=9)
    field, single = simulate(Chain(SIGMA, 1.0, 1), **kw), simulate(Quartic(SIGMA, 1.0), **kw)
    assert field.shape == (50, 20, 1)
    assert np.allclose(field[..., 0], single, atol=1e-10)


def test_chain_groups_of_fields(monkeypatch):
    """Adding chains adds groups and leaves the complete groups unchanged, for fields too."""
    monkeypatch.setattr(langevin, "CHAIN_GROUP", 8)
    kw = dict(samples=5, interval=0.1, therm=0.2, eps=0.02, integrator="heun", kref=20.0, seed=4)
    a, b = simulate(Chain(SIGMA, 1.0, 4), chains=16, **kw), simulate(Chain(SIGMA, 1.0, 4), chains=21, **kw)
    assert a.tobytes() == b[:16].tobytes()
    assert not np.allclose(b[16:], b[:5])  # the new group has its own noise


def test_every_site_gets_its_own_noise():
    z = simulate(Chain(SIGMA, 0.0, 4), chains=200, samples=50, seed=1, **ARGS)
    r = np.corrcoef(z[:, :, 0].real.ravel(), z[:, :, 2].real.ravel())[0, 1]
    exact = gaussian_chain_cl_covariance(1.0, 1.0, 4)
    assert abs(r - exact[0, 2] / exact[0, 0]) < 0.05  # the exact correlation at distance 2, not 1


def test_a_field_runaway_is_named_and_the_adaptive_step_prevents_it():
    kw = dict(chains=64, samples=10, eps=0.5, integrator="euler", interval=0.5, therm=0, seed=11)
    with pytest.raises(CldmError, match=r"CL runaway: chain\(s\) \[\d+"):
        simulate(Chain(SIGMA, 1.0, 4), kref=None, **kw)
    assert np.isfinite(simulate(Chain(SIGMA, 1.0, 4), kref=1.0, **kw)).all()


@pytest.fixture(scope="module")
def cl_chains():
    """CL of the quartic (lam = 1) and Gaussian (lam = 0) chains, L = 4, sigma = 1 + i."""
    return {lam: simulate(Chain(SIGMA, lam, 4), chains=256, samples=300, seed=3, **ARGS) for lam in (1.0, 0.0)}


@pytest.mark.parametrize("lam", [1.0, 0.0])
def test_cl_of_a_short_chain_agrees_with_exact(cl_chains, lam):
    """Every row (phi^n, G, chi, M^n, kappa_4; Re and Im, 22 numbers) within 3.5 sigma: a family-wise
    false alarm of about 1% for 22 independent tests."""
    table = observables_table(dict(model="chain", A=1.0, B=1.0, lam=lam, L=4), cl_chains[lam])
    pulls = observable_pulls(table, "CL")
    assert (pulls.abs() < 3.5).all().all(), pulls
    assert (table[table.estimator == "CL"][["re_err", "im_err"]] > 0).all().all()


def test_cl_of_the_gaussian_chain_has_the_exact_stationary_distribution(cl_chains):
    z = cl_chains[0.0]
    cov = gaussian_chain_cl_covariance(1.0, 1.0, 4)
    rows = []
    for name, series, exact in [("<x0 x1>", z[..., 0].real * z[..., 1].real, cov[0, 1]),
                                ("<y0 y2>", z[..., 0].imag * z[..., 2].imag, cov[4, 6]),
                                ("<x0 y1>", z[..., 0].real * z[..., 1].imag, cov[0, 5])]:
        value, err, _ = mean_error(series)
        rows.append((name, value, exact, err))
    assert all(abs(v - e) < 3 * s for _, v, e, s in rows), pull_report(rows)


def test_chain_diagnostics_trust_correct_cl_and_flag_the_wrong_action(cl_chains):
    physics = dict(model="chain", A=1.0, B=1.0, lam=1.0, L=4)
    good = chain_diagnostics(Chain(SIGMA, 1.0, 4), physics, cl_chains[1.0])
    assert good["trusted"], good
    assert good["max_abs_y"] < good["y_minus"]  # the one-site strip confines the chain (maximum principle)
    wrong = chain_diagnostics(Chain(1 + 2j, 1.0, 4), physics, cl_chains[1.0])  # samples of another sigma
    assert not wrong["trusted"] and any("L_c phi_x^2" in r for r in wrong["reasons"])
    z = cl_chains[1.0].copy()
    z[0, 0, 1] = 0.1 + 0.5j
    assert "leave the strip" in " ".join(chain_diagnostics(Chain(SIGMA, 1.0, 4), physics, z)["reasons"])
    no_strip = chain_diagnostics(Chain(SIGMA, 1.0, 4), dict(physics, B=2.0), cl_chains[1.0])
    assert any("no strip" in r for r in no_strip["reasons"])


@pytest.mark.parametrize("A, B, trusted", [(-1.0, 1.0, False), (1.0, 0.0, True)])
def test_chain_diagnostics_of_a_double_well_and_of_a_real_chain(A, B, trusted):
    """A <= 0 has no strip (the one-site condition has no solution); B = 0 is real Langevin."""
    physics = dict(model="chain", A=A, B=B, lam=1.0, L=4)
    action = make_action(**physics)
    d = chain_diagnostics(action, physics, simulate(action, chains=64, samples=100, seed=2, **ARGS))
    assert d["trusted"] is trusted and (trusted or "no strip" in d["reasons"][0]), d


def test_the_strip_confines_a_chain_started_at_its_edge():
    """Maximum principle: fields started with every y_x = 0.95 y- (and x_x spread) never reach y-."""
    y_minus = strip_bounds(1.0, 1.0, 1.0)[0]
    action, rng = Chain(SIGMA, 1.0, 6), np.random.default_rng(3)
    z = rng.normal(size=(500, 6)) + 0.95j * y_minus
    for _ in range(300):
        langevin.heun_step(action, z, 0.002, rng.normal(size=z.shape))
        assert np.abs(z.imag).max() < y_minus


# ---- observables -------------------------------------------------------------------------------


def test_observable_series_by_their_definitions():
    phi = np.random.default_rng(5).normal(size=(7, 6)) + 1j * np.random.default_rng(6).normal(size=(7, 6))
    s = observable_series(phi)
    assert list(s) == observable_keys(6)[:-1]
    for r in range(4):
        direct = np.mean([phi[:, x] * phi[:, (x + r) % 6] for x in range(6)], axis=0)
        assert np.allclose(s[("G", r)], direct)
    chi = sum(np.mean([phi[:, x] * phi[:, (x + r) % 6] for x in range(6)], axis=0) for r in range(6))
    assert np.allclose(s[("chi", 0)], chi) and np.allclose(s[("M", 4)], (phi.sum(axis=1) / np.sqrt(6)) ** 4)
    assert np.allclose(s[("phi", 4)], np.mean(phi**4, axis=1))


def test_kappa4_error_is_that_of_the_jackknife():
    """kappa_4 of M from i.i.d. exact Gaussian-chain CL samples: the linearised error agrees with a
    jackknife over 50 blocks to 20%, and the value with M^4 - 3 (M^2)^2 of the rows."""
    L = 4
    u = np.random.default_rng(7).multivariate_normal(np.zeros(2 * L), gaussian_chain_cl_covariance(1.0, 1.0, L), 40_000)
    phi = u[:, :L] + 1j * u[:, L:]

    def iid(x):
        return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)), 0.5

    rows = sample_rows(phi, "DM", iid).set_index(["observable", "n"])
    m2, m4 = (complex(rows.loc[("M", n), "re"], rows.loc[("M", n), "im"]) for n in (2, 4))
    kappa = rows.loc[("kappa_M", 4)]
    assert complex(kappa.re, kappa.im) == pytest.approx(m4 - 3 * m2**2, abs=1e-12)
    blocks = np.array_split(np.arange(len(phi)), 50)
    mm = phi.sum(axis=1) ** 2 / L
    jack = np.array([np.delete(mm, b).mean() for b in blocks]), np.array([np.delete(mm**2, b).mean() for b in blocks])
    k = jack[1] - 3 * jack[0] ** 2
    for part, err in (("re", kappa.re_err), ("im", kappa.im_err)):
        jk = np.sqrt((len(blocks) - 1) * np.var(getattr(k, "real" if part == "re" else "imag")))
        assert abs(err / jk - 1) < 0.2, (part, err, jk)


# ---- archives and stages -----------------------------------------------------------------------


def test_load_chains_gives_fields_their_site_axis(tmp_path):
    z = np.arange(24).reshape(2, 3, 4) * (1 + 1j)
    save_samples(str(tmp_path / "f.npz"), z, {}, chains=np.int64(2), sites=np.int64(4))
    save_samples(str(tmp_path / "s.npz"), z[..., 0], {}, chains=np.int64(2))
    assert np.array_equal(load_chains(str(tmp_path / "f.npz"))[0], z)
    assert np.array_equal(load_chains(str(tmp_path / "s.npz"))[0], z[..., 0])


def test_a_chain_point_through_the_stages(tmp_path):
    import json

    from cldm.io import read_csv
    from cldm.settings.langevin import Langevin
    from cldm.stages.langevin import run_langevin
    from cldm.stages.observables import point_observables

    physics = dict(model="chain", A=1.0, B=1.0, lam=1.0, L=4)
    settings = Langevin(chains=32, samples=40, therm=1.0, step=0.02, step_scan=(2.0,), scan_chains=16)
    cl, diag, obs = (str(tmp_path / f) for f in ("cl.npz", "cl_diagnostics.json", "observables.csv"))
    run_langevin("c", physics, settings, 1, cl, diag)
    phi, data = load_chains(cl)
    assert phi.shape == (32, 40, 4) and int(data["sites"]) == 4
    d = json.loads(open(diag).read())
    assert {"trusted", "reasons", "max_abs_y", "y_minus", "consistency", "step_scan"} <= set(d)
    point_observables("c", physics, cl, obs)
    table = read_csv(obs)
    assert list(table.columns) == COLUMNS and set(table.estimator) == {"exact", "CL"}
    assert len(table) == 2 * len(observable_keys(4))
