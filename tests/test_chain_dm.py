"""The diffusion model of chain points (issue 16, part B): the field network and its whitening, the
samplers on fields, training on exact Gaussian-chain fields, the DM rows of the observables table,
the stages of a chain point and its DAG."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from cldm.analysis.observables import (COLUMNS, cv_sample_rows, dm_rows, exact_rows, exact_values, gaussian_values,
                                      observable_keys, observable_pulls, sample_rows)
from cldm.analysis.quality import covariance_kernel, mode_moments, mode_pulls
from cldm.analysis.stats import iid_mean_error
from cldm.coords import to_complex, to_xy
from cldm.dm.checkpoint import load_model, save_model
from cldm.dm.families import FAMILIES
from cldm.dm.field_model import FieldScoreNet, mode_covariances, resize_kernel, resized_modes
from cldm.dm.sample import generate
from cldm.dm.sde import VESDE
from cldm.dm.train import train
from cldm.physics.chain_exact import chain_exact, gaussian_chain_cl_covariance, gaussian_chain_cl_score, mode_sigmas
from cldm.settings.training import Training

from helpers import pull_report

A, B = 1.0, 1.0


def row_covariance(L: int) -> np.ndarray:
    """The Gaussian chain's exact CL covariance in the row layout (x_0, y_0, x_1, y_1, ...)."""
    order = np.array([[s, L + s] for s in range(L)]).ravel()
    return gaussian_chain_cl_covariance(A, B, L)[np.ix_(order, order)]


def gaussian_chain_rows(n: int, L: int, seed: int) -> np.ndarray:
    """n exact samples of the Gaussian chain's stationary CL distribution as rows (n, 2L)."""
    return np.random.default_rng(seed).multivariate_normal(np.zeros(2 * L), row_covariance(L), size=n)


def fields(rows: np.ndarray) -> np.ndarray:
    return to_complex(np.asarray(rows, dtype=float).reshape(len(rows), -1, 2))


def exact_kernel(L: int) -> np.ndarray:
    C = gaussian_chain_cl_covariance(A, B, L)
    return np.array([[[C[a * L, b * L + r] for b in range(2)] for a in range(2)] for r in range(L)])


def random_model(L: int = 8, seed: int = 0) -> FieldScoreNet:
    """A field model whitened with exact Gaussian-chain data and a random (nonzero) output layer:
    the output layer starts at zero, which would make the network part trivially equivariant."""
    torch.manual_seed(seed)
    model = FAMILIES["field"].build(Training(channels=(16, 16), reach=1), torch.as_tensor(gaussian_chain_rows(20000, L, 1)))
    torch.nn.init.normal_(model.out.weight, std=0.3)
    return model


def shift(rows: torch.Tensor, s: int) -> torch.Tensor:
    """The field of rows (N, 2L) translated by s sites."""
    return torch.roll(rows.reshape(len(rows), -1, 2), s, dims=1).reshape(rows.shape)


# ---- the network and its whitening -------------------------------------------------------------


def test_the_field_network_commutes_with_translations():
    model = random_model()
    u, t = torch.randn(64, 16), torch.rand(4) * 0.9 + 0.05
    out = model(u, t)
    gaussian = -u / (1 + model.sde.sigma(t).repeat_interleave(16)[:, None] ** 2)
    assert (out - gaussian).abs().max() > 0.1  # the network's part is not zero
    for s in (1, 3, 5):
        assert torch.allclose(model(shift(u, s), t), shift(out, s), atol=1e-5), s
        x = torch.randn(32, 16)
        assert torch.allclose(model.standardize(shift(x, s)), shift(model.standardize(x), s), atol=1e-5), s
    assert not torch.allclose(model(shift(u, 1), t), out, atol=1e-3)  # the output does depend on the sites


def test_the_same_weights_apply_at_another_length():
    """A field of 16 sites made of two copies of an 8-site field is whitened, scored and whitened
    back as two copies of the 8-site result: the network is local and periodic, and the whitening
    at 16 sites acts on the modes of period 8 as the one at 8 sites does."""
    model = random_model()
    x8 = torch.as_tensor(gaussian_chain_rows(50, 8, 2), dtype=torch.float32)
    x16 = torch.cat([x8, x8], dim=1)
    u8, u16 = model.standardize(x8), model.standardize(x16)
    assert torch.allclose(u16, torch.cat([u8, u8], dim=1), atol=1e-4)
    t = torch.tensor(0.2)
    assert torch.allclose(model(u16, t), torch.cat([model(u8, t)] * 2, dim=1), atol=1e-4)
    assert torch.allclose(model.destandardize(u16), x16, atol=1e-5)


def test_the_whitening_makes_the_field_white():
    """u = W (x - m) of Gaussian-chain fields has the identity covariance to its sampling error
    (Var(u_i u_j) = 1 + delta_ij); a one-site whitening (W block diagonal) would leave the
    neighbours' correlations, of order 0.3, in it."""
    n = 100_000
    model = random_model()
    x = torch.as_tensor(gaussian_chain_rows(n, 8, 3))
    u = model.standardize(x.float()).double()
    cov = u.T @ u / n
    err = np.sqrt((1 + np.eye(16)) / n)
    dev = np.abs(cov.numpy() - np.eye(16)) / err
    assert dev.max() < 4.5, dev.max()
    one_site = np.kron(np.eye(8), np.linalg.inv(np.linalg.cholesky(row_covariance(8)[:2, :2])))
    v = x.numpy() @ one_site.T
    assert np.abs(v.T @ v / n - np.eye(16)).max() > 0.2


def test_mode_moments_are_the_gaussian_chains_mode_variances():
    """<phi~_k phi~_-k> of exact Gaussian-chain samples is 1/sigma_k (each mode an independent complex
    Gaussian), Re and Im within 4 errors at every n = 0..L/2; the modes add up to <phi^2> (Parseval)."""
    phi = fields(gaussian_chain_rows(20000, 8, 2))
    m, err = mode_moments(phi, iid_mean_error)
    exact = 1 / mode_sigmas(complex(A, B), 8)[: len(m)]
    assert np.abs((m - exact).real / err.real).max() < 4 and np.abs((m - exact).imag / err.imag).max() < 4
    weights = np.array([1, 2, 2, 2, 1])  # n and L - n alike
    assert np.sum(weights * m) / 8 == pytest.approx(np.mean(phi**2), abs=1e-12)


def test_mode_pulls_find_a_narrow_zero_mode():
    """Samples whose zero mode is 2% too narrow (its variance 4% low; the sites keep their means of
    zero) against samples of the same law: the zero mode's Re pull is beyond -5, the other modes'
    pulls within 4."""
    cl = fields(gaussian_chain_rows(200000, 8, 3))
    dm = fields(gaussian_chain_rows(200000, 8, 4))
    dm = dm - 0.02 * dm.mean(axis=-1, keepdims=True)
    rows = mode_pulls(*mode_moments(dm, iid_mean_error), *mode_moments(cl, iid_mean_error))
    assert rows[0]["pull"][0] < -5, rows[0]
    assert max(abs(p) for row in rows[1:] for p in row["pull"]) < 4, rows


def test_the_model_law_is_the_data_covariance_within_its_errors():
    """gaussian_law(1): the whitening's covariance (the data's, translation-averaged and reflection
    symmetrised) against the exact one, entry by entry of the kernel, within 4 of the entries'
    sampling errors."""
    model = random_model()
    _, cov = model.gaussian_law(1.0)
    k_model = np.array([[[cov[a, 2 * r + b] for b in range(2)] for a in range(2)] for r in range(8)])
    _, err = covariance_kernel(fields(gaussian_chain_rows(20000, 8, 1)), iid_mean_error)
    pulls = (k_model - exact_kernel(8)) / err
    assert np.abs(pulls).max() < 4, pulls.round(1)


def test_the_whitening_resized_through_the_precision_is_exact_for_the_gaussian_chain():
    """The precision kernel of the Gaussian chain vanishes beyond |r| = 3, so resizing it from 8 to
    16 (or 12) sites gives the exact mode covariances there; resizing the covariance kernel itself
    misses the smallest mode variance of 16 sites tenfold."""
    k8 = exact_kernel(8)
    assert np.allclose(resize_kernel(k8, 8), k8, rtol=0, atol=1e-15)
    for L in (12, 16):
        assert np.allclose(resized_modes(k8, L), mode_covariances(exact_kernel(L)), rtol=0, atol=1e-12), L
    naive, exact = (np.linalg.eigvalsh(mode_covariances(k)).min() for k in (resize_kernel(k8, 16), exact_kernel(16)))
    assert naive < exact / 5, (naive, exact)


def test_a_field_model_round_trips_through_a_checkpoint(tmp_path):
    model = random_model()
    cfg = Training(channels=(16, 16), reach=1)
    save_model(model, cfg, str(tmp_path / "m.pt"), {}, "field")
    loaded = load_model(str(tmp_path / "m.pt"))
    u, t = torch.randn(20, 32), torch.rand(20)
    assert isinstance(loaded, FieldScoreNet) and loaded.sites == 8
    assert torch.equal(model(u, t), loaded(u, t))  # at 16 sites too
    assert torch.equal(model.destandardize(u), loaded.destandardize(u))


# ---- samplers and training on fields -----------------------------------------------------------


@pytest.mark.parametrize("sampler, steps", [("ei", 40), ("eipc", 48), ("heun", 40)])
def test_samplers_draw_the_gaussian_chain_from_its_exact_score(sampler, steps):
    """No network: the exact score of the noised Gaussian chain, -(C + s^2)^-1 x (at s = 0 the
    closed form gaussian_chain_cl_score), must give the exact covariance kernel within 4 errors.
    In these raw coordinates (no whitening) the smallest mode variance is 0.002, a stiff problem at
    small s: em at 300 steps misses <y_x^2> by 9 errors, so it is left out (a model samples in
    whitened coordinates, where every mode has variance 1)."""
    L, sde = 8, VESDE(25.0)
    C = torch.as_tensor(row_covariance(L))
    x = torch.randn(5, 2 * L, dtype=torch.float64)
    assert np.allclose(-(x @ torch.linalg.inv(C)).numpy(),
                       gaussian_chain_cl_score(A, B, x.numpy().reshape(5, L, 2)).reshape(5, -1), rtol=1e-10)

    def score(x, t):
        return -x @ torch.linalg.inv(C + sde.sigma(t.double()) ** 2 * torch.eye(2 * L, dtype=torch.float64)).float()

    draw = generate(score, sde, 40_000, 2 * L, sampler, steps, seed=1, batch=10_000)
    k, err = covariance_kernel(fields(draw.x.double().numpy()), iid_mean_error)
    pulls = (k - exact_kernel(L)) / err
    assert np.abs(pulls).max() < 4, pulls.round(1)


@pytest.fixture(scope="module")
def trained_gaussian_chain():
    """A field model trained 300 steps on 60k exact Gaussian-chain fields at L = 8, and its data."""
    data = gaussian_chain_rows(66_000, 8, 5)
    cfg = Training(steps=300, batch_size=256, warmup=50, log_every=100, lr=2e-3, ema=0.99, channels=(16, 16))
    return train(data[:60_000], data[60_000:], cfg, seed=3, family="field"), data[:60_000]


@pytest.mark.slow
def test_training_on_exact_gaussian_chain_fields_reproduces_the_exact_covariance(trained_gaussian_chain):
    """The trained model's samples: their covariance kernel against the exact one, each entry within
    4 of its error (the model's sampling error and its training data's, combined)."""
    (model, log, _), data = trained_gaussian_chain
    assert log[-1]["val_loss"] < log[0]["val_loss"] * 1.05
    x = model.destandardize(generate(model, model.sde, 30_000, 16, "ei", 30, seed=2).x).double().numpy()
    k, err = covariance_kernel(fields(x), iid_mean_error)
    _, err_data = covariance_kernel(fields(data), iid_mean_error)
    pulls = (k - exact_kernel(8)) / np.hypot(err, err_data)
    assert np.abs(pulls).max() < 4, pulls.round(1)
    assert np.sqrt(np.mean(pulls**2)) < 1.5


@pytest.mark.slow
def test_the_trained_model_at_16_sites_has_the_exact_covariance_of_16_sites(trained_gaussian_chain):
    """The size transfer of a Gaussian chain: the model trained at 8 sites, sampled at 16, against
    the exact <phi^2> and G(1) of 16 sites (i.i.d. errors of the samples and the training data's)."""
    (model, _, _), data = trained_gaussian_chain
    x = model.destandardize(generate(model, model.sde, 20_000, 32, "ei", 30, seed=4).x).double().numpy()
    rows = sample_rows(fields(x), "DM", iid_mean_error).set_index(["observable", "n"])
    data_rows = sample_rows(fields(data), "data", iid_mean_error).set_index(["observable", "n"])
    ex = chain_exact(A, B, 0.0, 16)
    report = []
    for key, value in ((("phi", 2), ex.phi2), (("G", 1), complex(ex.G[1]))):
        for part in ("re", "im"):
            report.append((f"{key} {part}", rows.loc[key, part], getattr(value, "real" if part == "re" else "imag"),
                           np.hypot(rows.loc[key, f"{part}_err"], data_rows.loc[key, f"{part}_err"])))
    assert all(abs(v - e) < 4 * s for _, v, e, s in report), pull_report(report)


@pytest.mark.slow
def test_control_variates_of_a_trained_field_model(trained_gaussian_chain):
    """ei's reference path (the same noise, the score of Gaussian fields with the model's whitening)
    controls the DM rows: <phi^2> and G(1) within 4 errors of exact (with the training data's
    error), at a third of the plain i.i.d. error or less."""
    (model, _, _), data = trained_gaussian_chain
    draw = generate(model, model.sde, 20_000, 16, "ei", 30, seed=6)
    phi, ref = (fields(model.destandardize(u).double().numpy()) for u in (draw.x, draw.ref))
    cv = cv_sample_rows(phi, ref, *model.gaussian_law(draw.ref_var), "DM").set_index(["observable", "n"])
    plain = sample_rows(phi, "DM", iid_mean_error).set_index(["observable", "n"])
    data_rows = sample_rows(fields(data), "data", iid_mean_error).set_index(["observable", "n"])
    exact = exact_values(chain_exact(A, B, 0.0, 8))
    report = []
    for key in (("phi", 2), ("G", 1)):
        for part in ("re", "im"):
            report.append((f"{key} {part}", cv.loc[key, part], getattr(exact[key], "real" if part == "re" else "imag"),
                           np.hypot(cv.loc[key, f"{part}_err"], data_rows.loc[key, f"{part}_err"])))
            assert cv.loc[key, f"{part}_err"] < plain.loc[key, f"{part}_err"] / 3, (key, part)
    assert all(abs(v - e) < 4 * s for _, v, e, s in report), pull_report(report)


def test_gaussian_values_are_the_exact_rows_of_gaussian_fields():
    """With the Gaussian chain's CL covariance they are its exact observables (CL is exact there);
    with a mean, the sample values of Gaussian fields within 4 errors."""
    ex = exact_values(chain_exact(A, B, 0.0, 8))
    g = gaussian_values(np.zeros(16), row_covariance(8))
    assert max(abs(g[k] - ex[k]) for k in ex) < 1e-12
    mean = np.random.default_rng(8).normal(size=16) * 0.3
    x = np.random.default_rng(9).multivariate_normal(mean, row_covariance(8), size=200_000)
    rows = sample_rows(fields(x), "s", iid_mean_error).set_index(["observable", "n"])
    g = gaussian_values(mean, row_covariance(8))
    for key in observable_keys(8)[:-1]:  # kappa_M's error is that of its linearised series
        for part in ("re", "im"):
            v = getattr(g[key], "real" if part == "re" else "imag")
            assert abs(rows.loc[key, part] - v) < 4 * rows.loc[key, f"{part}_err"], (key, part)


# ---- the DM rows of the observables table ------------------------------------------------------


def test_dm_rows_pool_the_members_with_their_data_errors():
    """Members whose samples are exact Gaussian-chain fields: the pooled DM rows agree with exact,
    and their errors include the CL error of the data the members learned from (a pooled error
    without it would be the sampling error alone, half as large here)."""
    L, K = 8, 4
    cl = fields(gaussian_chain_rows(4000, L, 6)).reshape(2000, 2, L)  # 2000 "chains" of independent samples
    cl_rows = sample_rows(cl, "CL")
    shares = [np.arange(k, 2000, K) for k in range(K)]
    dm = fields(gaussian_chain_rows(4 * 4000, L, 7))
    member = np.repeat(np.arange(K), 4000)
    table = pd.concat([exact_rows(chain_exact(A, B, 0.0, L)), cl_rows, dm_rows(dm, member, cl, shares, cl_rows)])
    assert list(table.columns) == COLUMNS and len(table) == 3 * len(observable_keys(L))
    pulls = observable_pulls(table, "DM")
    assert np.abs(pulls.to_numpy()).max() < 4, pulls.round(2)
    err = table[table.estimator.isin(["CL", "DM"])].set_index(["estimator", "observable", "n"]).re_err
    within = dm_rows(dm, member).set_index(["observable", "n"]).re_err  # members' values alone
    assert (err["DM"] > 0.95 * err["CL"]).all() and (err["DM"] > 1.3 * within).all()


def test_the_field_covariance_error_is_at_its_floor_for_exact_fields_and_above_it_for_wrong_ones():
    """field_covariance_quality: CL fields drawn from the exact law, and DM fields from a model that
    learned its training chains' covariance perfectly (a Gaussian with their sample covariance),
    give relative Frobenius errors of the size of their statistical floors (the ratio's square is
    a chi-square-like sum over the kernel entries, mean 1); without the training data's error in
    the DM floor the DM-exact ratio is 3.3 here. DM fields whose covariance is 10% too large
    (5 floors) give ratios far above 1."""
    from cldm.analysis.quality import field_covariance_quality

    L, exact = 8, gaussian_chain_cl_covariance(A, B, 8)
    cl = fields(gaussian_chain_rows(8000, L, 11)).reshape(2000, 4, L)
    train = to_xy(cl[:1800]).reshape(-1, 2 * L)  # the training fraction 0.9
    model_cov = train.T @ train / len(train)
    good = fields(np.random.default_rng(12).multivariate_normal(np.zeros(2 * L), model_cov, size=100_000))
    q = field_covariance_quality(cl, good, 0.9, exact)
    for name in ("dm_vs_exact", "cl_vs_exact", "dm_vs_cl"):
        assert 0.4 < q[name]["ratio"] < 2.0, (name, q[name])
    assert q["dm_vs_exact"]["floor"] < 0.02
    wrong = field_covariance_quality(cl, good * np.sqrt(1.10), 0.9, exact)
    assert wrong["dm_vs_exact"]["ratio"] > 3 and wrong["dm_vs_cl"]["ratio"] > 3, wrong


def test_targets_count_the_pulls_of_the_target_rows():
    """chain_table.targets: RMS and largest |pull| over Re and Im of <phi^2>, <phi^4>, G(0..4), chi
    (16 numbers at L = 8), how many exceed 3, and the DM over CL error of <phi^2>; rows outside the
    targets (M, kappa_M) do not count."""
    from cldm.analysis.chain_table import target_keys, targets

    L = 8
    exact = exact_rows(chain_exact(A, B, 0.0, L))
    keys = list(zip(exact.observable, exact.n))
    est = {}
    for name, pull, err in (("CL", 1.0, 0.01), ("DM", 2.0, 0.03)):
        t = exact.copy()
        t["estimator"], t["re_err"], t["im_err"] = name, err, err
        t["re"] = t.re + pull * err
        t["im"] = t.im - pull * err
        est[name] = t
    est["DM"].loc[[k == ("phi", 4) for k in keys], "re"] += 0.1  # one pull of 2 + 0.1 / 0.03 = 5.33
    est["DM"].loc[[k[0] == "kappa_M" for k in keys], "re"] += 10.0  # not a target row
    out = targets(pd.concat([exact, est["CL"], est["DM"]]), L)
    assert len(target_keys(L)) == 8 and out["CL"]["numbers"] == 16
    assert out["CL"]["rms_pull"] == pytest.approx(1.0) and out["CL"]["beyond_3"] == 0
    assert out["DM"]["max_abs_pull"] == pytest.approx(2 + 0.1 / 0.03) and out["DM"]["beyond_3"] == 1
    assert out["DM"]["rms_pull"] == pytest.approx(np.sqrt((15 * 4 + (2 + 0.1 / 0.03) ** 2) / 16))
    assert out["dm_over_cl_error_phi2"] == pytest.approx([3.0, 3.0])


# ---- a chain point through the stages and its DAG ----------------------------------------------


def test_a_chain_point_through_every_stage(tmp_path):
    from cldm.io import load_fields, read_csv
    from cldm.settings.langevin import Langevin
    from cldm.settings.sampling import Sampling
    from cldm.stages.chain_tables import chain_tables
    from cldm.stages.langevin import run_langevin
    from cldm.stages.observables import point_observables
    from cldm.stages.pool import pool_members
    from cldm.stages.quality import point_quality
    from cldm.stages.sampling import sample_member
    from cldm.stages.training import train_member
    from cldm.stages.transfer import point_transfer

    f = lambda name: str(tmp_path / name)  # noqa: E731
    physics = dict(model="chain", A=1.0, B=1.0, lam=0.0, L=8)
    training = Training(ensemble=2, val_fraction=0.2, steps=40, batch_size=64, warmup=5, log_every=20, channels=(8,))
    sampling = Sampling(steps=5, samples=1000, batch=1000)
    run_langevin("c", physics, Langevin(chains=32, samples=40, therm=1.0, step=0.02, step_scan=(2.0,), scan_chains=16),
                 1, f("cl.npz"), f("diag.json"))
    for k in range(2):
        train_member("c", k, training, 1, f("cl.npz"), f(f"m{k}.pt"), f(f"l{k}.csv"))
        sample_member("c", k, sampling, 1, f(f"m{k}.pt"), f(f"s{k}.npz"))
        sample_member("c", k, sampling, 1, f(f"m{k}.pt"), f(f"t{k}.npz"), sites=10)
    assert torch.load(f("m0.pt"), weights_only=True)["family"] == "field"
    pool_members([f("s0.npz"), f("s1.npz")], f("dm.npz"))
    phi, dm = load_fields(f("dm.npz"))
    assert phi.shape == (2000, 8) and np.array_equal(dm["member"], np.repeat([0, 1], 1000))
    assert load_fields(f("t1.npz"))[0].shape == (1000, 10)
    # samples null: the error budget of the site average <phi^2> against the member's training chains
    from cldm.analysis.budget import data_phi2_errors, samples_needed
    from cldm.analysis.split import member_chains
    from cldm.io import load_chains
    budgeted = Sampling(steps=5, samples=None, batch=500, pilot_samples=500, max_samples=3000, error_ratio=0.5)
    sample_member("c", 1, budgeted, 1, f("m1.pt"), f("b1.npz"), training=training, cl_path=f("cl.npz"))
    phi_b, data_b = load_fields(f("b1.npz"))
    budget = data_b["provenance"]["params"]["budget"]
    z, _ = load_chains(f("cl.npz"))
    assert budget["data_errors"] == pytest.approx(data_phi2_errors(z[member_chains(32, 2, 1, 0.2)[0]]))
    assert budget["samples"] == samples_needed(500, budget["pilot_errors"], budget["data_errors"], 0.5, 500, 3000)
    assert phi_b.shape == (budget["samples"], 8) and 500 <= budget["samples"] <= 3000
    point_observables("c", physics, f("cl.npz"), f("obs.csv"), dm_path=f("dm.npz"), training=training)
    table = read_csv(f("obs.csv"))
    assert set(table.estimator) == {"exact", "CL", "DM"} and len(table) == 3 * len(observable_keys(8))
    assert (table[table.estimator == "DM"][["re_err", "im_err"]] > 0).all().all()
    point_quality("c", physics, training, 1, f("cl.npz"), f("dm.npz"), f("quality.json"))
    quality = json.loads(open(f("quality.json")).read())
    assert {"dm_vs_cl", "dm_vs_exact", "cl_vs_exact"} <= set(quality["covariance"]) and "ratio" in quality
    assert [m["n"] for m in quality["covariance"]["modes"]] == [0, 1, 2, 3, 4]
    point_transfer("c", physics, 10, [f("t0.npz"), f("t1.npz")], f("transfer.csv"))
    assert len(read_csv(f("transfer.csv"))) == 2 * len(observable_keys(10))
    chain_tables({"c": physics}, [f("obs.csv")], [f("quality.json")], [f("diag.json")], {"c": (f("transfer.csv"), 10)},
                 f("t.csv"), f("t.md"), f("t.tex"))
    md = open(f("t.md")).read()
    assert "RMS pull" in md and "<phi^2> at L = 10" in md and "dm vs exact" in md and "Fourier modes" in md


CHAIN_JOBS = {"langevin": 2, "train": 8, "sample": 8, "sample_transfer": 8, "pool": 2, "transfer": 2, "observables": 2,
              "quality": 2, "figure_loss": 2, "figure_distributions": 2, "figure_correlator": 2, "chain_tables": 1}
VARIABLE_JOBS = {"langevin": 2, "train": 8, "sample": 8, "pool": 2, "moments": 2, "quality": 2, "figure_loss": 2,
                 "figure_distributions": 2, "figure_moments": 2, "figure_field": 4, "tables": 1, "figure_boundary": 2,
                 "trust": 1, "figure_trust": 1}


@pytest.mark.slow
def test_the_dag_of_chain_points(tmp_path):
    """config/chain.yaml alone (--replace-workflow-config, as the README runs it): the chain jobs,
    no moments; merged into config/config.yaml: both studies, the one-variable points unchanged."""
    from workflow_helpers import PROFILE, job_stats, scratch_copy, snakemake

    work = scratch_copy(tmp_path / "repo")

    def jobs(*args):
        counts = job_stats(snakemake(work, "--workflow-profile", PROFILE, "--dry-run", *args).stdout)
        counts.pop("all")
        return counts

    assert jobs("--configfile", "config/chain.yaml", "--replace-workflow-config") == CHAIN_JOBS
    both = jobs("--configfile", "config/chain.yaml")
    assert both == {k: CHAIN_JOBS.get(k, 0) + VARIABLE_JOBS.get(k, 0) for k in {*CHAIN_JOBS, *VARIABLE_JOBS}}


def test_merging_config_chain_yaml_leaves_the_one_variable_points_as_they_were():
    import yaml
    from snakemake.utils import update_config

    from cldm.config import load_study
    from workflow_helpers import REPO

    default = yaml.safe_load((REPO / "config/config.yaml").read_text())
    merged = yaml.safe_load((REPO / "config/config.yaml").read_text())
    update_config(merged, yaml.safe_load((REPO / "config/chain.yaml").read_text()))
    alone, both = load_study(default), load_study(merged)
    assert set(both.points) == set(alone.points) | {"chain_g", "chain_q"}
    assert all(both.points[p] == alone.points[p] for p in alone.points)
