"""The energy model (cldm.dm.energy): its score is -grad E, evenness, preconditioning, training; the
Metropolis-adjusted sampler on the exact Gaussian energy; the explicit density; the kinds and
estimators of a point, and the config's refusals."""

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import yaml

import cldm.dm.sample as sample_mod
from cldm import CldmError
from cldm.config import config_errors, load_study
from cldm.dm.checkpoint import load_model, save_model
from cldm.dm.energy import EnergyNet
from cldm.dm.families import FAMILIES
from cldm.dm.kinds import KINDS, Estimator, directories, estimators
from cldm.dm.sample import generate, mh_sigmas
from cldm.dm.samplers import MH_SAMPLER, SAMPLERS
from cldm.dm.sde import VESDE
from cldm.dm.train import train
from cldm.io import load_samples, read_csv
from cldm.plots import fields
from cldm.settings.sampling import Sampling
from cldm.settings.training import Training
from cldm.stages import field_figures
from cldm.stages.langevin import run_langevin
from cldm.stages.moments import point_moments
from cldm.stages.pool import pool_members
from cldm.stages.sampling import sample_member
from cldm.stages.training import train_member
from conftest import C, gaussian_data
from helpers import covariance_rows, pull_report
from workflow_helpers import REPO

SDE = VESDE(25.0)
T = torch.tensor([1e-4, 3e-3, 0.1, 0.9])  # one time per block of rows: sigma(t) = 0.01 ... 8


def random_net(even: bool = True, dtype=torch.float64) -> EnergyNet:
    """An energy network with its random initial weights and the whitening of C (mean 0)."""
    torch.manual_seed(0)
    net = EnergyNet(SDE, torch.zeros(2), torch.linalg.cholesky(torch.tensor(C)), (32, 32), 16, even=even)
    return net.to(dtype)


def rows(n: int = 64, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(1), dtype=dtype) * 1.5


@pytest.mark.parametrize("even", [True, False])
def test_the_score_is_minus_the_gradient_of_the_energy(even):
    """forward(u, t) against central differences of E (float64, step 1e-6): equal to 1e-6."""
    net, u = random_net(even), rows()
    score = net(u, T)
    for i in range(2):
        step = torch.zeros(2, dtype=torch.float64)
        step[i] = 1e-6
        diff = (net.energy(u + step, T) - net.energy(u - step, T)) / 2e-6
        np.testing.assert_allclose(score[:, i].detach(), -diff.detach(), rtol=1e-6, atol=1e-6)


def test_an_even_energy_is_even_and_an_odd_one_is_not():
    """E(-u) = E(u) exactly by construction; without it the random network's energy is not even."""
    u = rows()
    even, odd = random_net(True), random_net(False)
    assert torch.equal(even.energy(-u, T), even.energy(u, T))
    assert torch.equal(even(-u, T), -even(u, T))
    assert (odd.energy(-u, T) - odd.energy(u, T)).abs().max() > 1e-3


def test_with_zero_correction_the_energy_is_that_of_whitened_gaussian_data():
    """G = 0 (output layer zeroed): E = |u|^2 / (2 (1 + sigma^2)) and the score -u / (1 + sigma^2),
    the exact ones of unit-variance data at noise level sigma; the random correction is not zero."""
    net, u = random_net(), rows()
    c2 = (1 + SDE.sigma(T) ** 2).double().repeat_interleave(len(u) // len(T))
    assert (net(u, T) + u / c2[:, None]).abs().max() > 1e-2
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.zero_()
    torch.testing.assert_close(net.energy(u, T), (u**2).sum(1) / (2 * c2))
    torch.testing.assert_close(net(u, T), -u / c2[:, None])


def test_the_score_keeps_its_graph_for_training_and_drops_it_for_sampling():
    """With gradients on, the score reaches every weight (double backward) but the output's bias, a
    constant of E; under no_grad (the samplers) it comes back detached, as E does."""
    net, u = random_net(), rows()
    net(u, T).pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for n, p in net.named_parameters() if n != "out.bias")
    assert net.out.bias.grad is None
    with torch.no_grad():
        energy, score = net.energy_and_score(u, T)
    assert not energy.requires_grad and not score.requires_grad


def test_the_energy_family_trains_and_its_checkpoint_restores_it(tmp_path):
    """The loop trains the family it is given; the checkpoint records it and rebuilds the same model."""
    data = gaussian_data(5000, 3)
    cfg = Training(steps=20, batch_size=128, warmup=5, log_every=10)
    model = train(data[:4000], data[4000:], cfg, seed=7, family="energy").model
    assert isinstance(model, EnergyNet) and torch.count_nonzero(model.mean) == 0  # even: centred at 0
    path = str(tmp_path / "m.pt")
    save_model(model, cfg, path, {"seed": 7}, family="energy")
    loaded = load_model(path)
    u = rows(100, torch.float32)
    assert isinstance(loaded, EnergyNet) and torch.equal(loaded.energy(u, T), model.energy(u, T))
    assert set(KINDS) <= set(FAMILIES)


@pytest.fixture(scope="module")
def energy_gaussian():
    """An energy model trained 300 steps on 50k exact samples of the Gaussian CL density at
    sigma = 1 + i, and its training data."""
    data = gaussian_data(60_000, 0)
    cfg = Training(steps=300, batch_size=512, warmup=50, log_every=100, lr=2e-3, ema=0.99)
    return train(data[:50_000], data[50_000:], cfg, seed=1, family="energy").model, data[:50_000]


def test_an_energy_model_of_gaussian_data_reproduces_the_covariance(energy_gaussian):
    """ei samples of the trained model: each second moment within 3 errors of the exact C, the error
    the sampling's and the training data's (whose covariance the whitening takes) combined."""
    model, data = energy_gaussian
    x = model.destandardize(generate(model, model.sde, 20_000, 2, "ei", 40, seed=2).x).double().numpy()
    rows_ = [(name, v, e, np.hypot(s, s_data)) for (name, v, e, s), (*_, s_data) in
             zip(covariance_rows(x, C, "energy ei"), covariance_rows(data, C, "data"))]
    assert all(abs(v - e) < 3 * s for _, v, e, s in rows_), pull_report(rows_)


def bimodal(n: int, seed: int) -> np.ndarray:
    """x = s m + 0.35 N(0, I), s = +-1: symmetric, far from Gaussian (kurtosis along m about 1.34)."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=(n, 1)) * np.array([1.0, 0.5]) + 0.35 * rng.standard_normal((n, 2))


def fourth_moment(x: np.ndarray) -> tuple[float, float]:
    """<p^4> of the projection p on (1, 0.5) and its standard error."""
    p4 = (x @ np.array([1.0, 0.5])) ** 4
    return float(p4.mean()), float(p4.std() / np.sqrt(len(p4)))


@pytest.mark.slow
def test_training_learns_a_non_gaussian_law():
    """On bimodal data the whitening alone (an untrained model: the Gaussian of the data's
    covariance) misses <p^4> by far; after 1000 steps the model's samples reproduce it within 3
    errors (sampling and data combined). The narrow modes need a fine solver: with ei at 40 steps the
    samples' <p^4> lies 6 errors low, for a score model as for this one (at 200 steps: 0.4 and 0.6)."""
    data = bimodal(60_000, 0)
    cfg = Training(steps=1000, batch_size=512, warmup=50, log_every=500, lr=2e-3, ema=0.99)
    want, err_data = fourth_moment(data[:50_000])
    pulls = {}
    for steps in (1, cfg.steps):
        model = train(data[:50_000], data[50_000:], Training(**{**cfg.as_dict(), "steps": steps, "hidden": cfg.hidden}),
                      seed=1, family="energy").model
        x = model.destandardize(generate(model, model.sde, 10_000, 2, "ei", 200, seed=2).x).double().numpy()
        got, err = fourth_moment(x)
        pulls[steps] = (got - want) / np.hypot(err, err_data)
    assert abs(pulls[cfg.steps]) < 3 and abs(pulls[1]) > 10, pulls


class GaussianEnergy:
    """The exact energy of the Gaussian CL density at level sigma, E = x (C + sigma^2)^-1 x / 2, and
    its score: the interface of a model with an energy, without a network."""

    def __init__(self):
        self.cov = torch.tensor(C, dtype=torch.float32)

    def precision(self, t):
        return torch.linalg.inv(self.cov + SDE.sigma(t) ** 2 * torch.eye(2))

    def energy_and_score(self, x, t):
        score = -x @ self.precision(t)
        return -(x * score).sum(1) / 2, score

    def __call__(self, x, t):
        return -x @ self.precision(t)


def mala_covariance(n: int = 100_000, **opts):
    draw = generate(GaussianEnergy(), SDE, n, 2, MH_SAMPLER, 20, seed=1, **opts)
    return covariance_rows(draw.x.double().numpy(), C, "mala"), draw.acceptance


def test_mala_reproduces_the_exact_gaussian_covariance_and_reports_its_acceptance():
    """Metropolis-adjusted levels on the exact energy: the covariance within 3 errors of C, and one
    acceptance rate per level, between 0 and 1 (measured 0.57-0.59: the step is large for C's small
    eigenvalue 0.15, h = 0.25 (1 + sigma^2))."""
    found, acceptance = mala_covariance()
    assert all(abs(v - e) < 3 * s for _, v, e, s in found), pull_report(found)
    assert acceptance.shape == (8,) and ((acceptance > 0.2) & (acceptance < 1)).all(), acceptance


def test_without_the_metropolis_step_the_levels_are_biased(monkeypatch):
    """The same levels accepting every proposal (unadjusted Langevin) leave the law exp(-E): at this
    step the covariance is off by many errors, which the Metropolis step removes (test above)."""
    monkeypatch.setattr(sample_mod, "metropolis_accept", lambda log_ratio, gen: torch.ones_like(log_ratio, dtype=bool))
    found, acceptance = mala_covariance(20_000)
    assert max(abs(v - e) / s for _, v, e, s in found) > 10, pull_report(found)
    assert (acceptance == 1).all()


def test_the_metropolis_levels_run_from_mh_t_down_to_t_eps():
    sigmas = mh_sigmas(SDE, 4e-4, 1e-2, 8)
    assert len(sigmas) == 8 and torch.all(sigmas[1:] < sigmas[:-1])
    assert torch.isclose(sigmas[-1], torch.tensor(SDE.sigma_of(4e-4), dtype=torch.float64))
    with pytest.raises(CldmError, match="mh_t_end"):
        generate(GaussianEnergy(), SDE, 10, 2, MH_SAMPLER, 5, seed=1, mh_t=1e-2, mh_t_end=1e-5, t_eps=1e-3)


def test_the_explicit_density_of_the_whitened_gaussian_energy_is_the_exact_p():
    """P_theta = exp(-E)/Z on the grid (Z by quadrature) of the energy with zero correction and the
    whitening of C is the exact Gaussian CL density up to the noise blur of t (sigma = 0.03):
    TV < 0.005; without the whitening (energy |x|^2 / 2) TV is 0.5."""
    net = random_net(dtype=torch.float32)
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.zero_()
    xe, ye, x, y = fields.grid(3.5, 2.0, 101)
    dx, dy = xe[1] - xe[0], ye[1] - ye[0]
    exact = fields.exact_density(dict(model="gaussian", A=1.0, B=1.0), x, y)
    p_theta = fields.normalised_density(-fields.grid_values(fields.energy(net, 1e-3), x, y), dx, dy)
    assert fields.total_variation(p_theta, exact, dx, dy) < 0.005
    with torch.no_grad():
        net.chol.copy_(torch.eye(2))
    unwhitened = fields.normalised_density(-fields.grid_values(fields.energy(net, 1e-3), x, y), dx, dy)
    assert fields.total_variation(unwhitened, exact, dx, dy) > 0.3


def test_the_estimators_of_a_point():
    """Each kind with the point's sampler, and each kind with an energy also Metropolis-adjusted; a
    study of the default kind keeps the study's one estimator DM in results/{point}/."""
    assert estimators(("score",), False) == [Estimator("score", False)]
    both = estimators(("score", "energy"), False)
    assert [e.name for e in both] == ["DM", "DM-energy", "DM-energy-MH"]
    assert [e.directory for e in both] == ["", "energy/", "energy-mh/"]
    assert [e.name for e in estimators(("energy",), SAMPLERS[MH_SAMPLER].energy)] == ["DM-energy-MH"]
    assert directories() == (["", "energy/"], ["", "energy/", "energy-mh/"])


def test_a_score_job_does_not_depend_on_the_kinds_or_the_energy_knobs():
    """Adding an energy model, or changing its knobs, reruns no score-model job."""
    assert Training(kind=("score", "energy"), even=False).params("score") == Training().params("score")
    assert Training(even=False).params("energy") != Training().params("energy")
    assert "kind" not in Training().params()


def test_an_energy_job_does_not_depend_on_the_score_models_backward_precision():
    """training.backward is read by the score MLP's gradient by hand only: tuning it reruns the
    score models, not the energy models (which train by autograd)."""
    assert Training(backward="float32").params("energy") == Training().params("energy")
    assert Training(backward="float32").params("score") != Training().params("score")


def test_metropolis_adjusted_members_draw_mh_samples_and_the_others_their_error_budget():
    """The Metropolis-adjusted estimator's members draw mh_samples each (an error budget would meet
    their scatter with max_samples); the point's sampler keeps its budget; mh_samples null falls back
    to `samples`. Changing mh_samples reruns no job of the point's sampler."""
    s = Sampling()
    assert s.samples is None and s.metropolis().sampler == MH_SAMPLER
    assert s.metropolis().params()["samples"] == s.mh_samples and s.metropolis().most_samples() == s.mh_samples
    assert dataclasses.replace(s, mh_samples=None).metropolis().params()["samples"] is None
    assert dataclasses.replace(s, mh_samples=None, samples=500).metropolis().params()["samples"] == 500
    assert dataclasses.replace(s, mh_samples=7).params() == s.params()


def base_config() -> dict:
    return yaml.safe_load((REPO / "config/config.yaml").read_text())


@pytest.mark.parametrize("change, line", [
    ({"training": {"kind": ["score", "vae"]}}, "training.kind.1: 'vae' is not accepted; accepted: one of 'score', 'energy'"),
    ({"training": {"kind": "energy"}}, "training.kind: 'energy' is a string, expected a list of at least 1 item"),
    ({"training": {"kind": ["energy", "energy"]}}, "training.kind: ['energy', 'energy'] is not accepted; accepted: "
                                                   "a list of at least 1 item, each one of 'score', 'energy', none twice"),
    ({"sampling": {"sampler": "mala"}}, "sampling.sampler: 'mala' needs a model with an energy, and training.kind = "
                                        "['score'] holds 'score'"),
    ({"training": {"kind": ["score", "energy"]}, "sampling": {"sampler": "mala"}}, "sampling.sampler: 'mala' needs"),
    ({"sampling": {"mh_step": 1.5}}, "sampling.mh_step: 1.5 is not accepted; accepted: a number > 0 and <= 1"),
    ({"sampling": {"mh_levels": 0}}, "sampling.mh_levels: 0 is not accepted; accepted: an integer >= 1 and <= 1000"),
    ({"sampling": {"mh_steps": 2.5}}, "sampling.mh_steps: 2.5 is a number, expected an integer"),
    ({"training": {"kind": ["energy"]}, "sampling": {"t_eps": 0.05}},
     "sampling.mh_t_end: 0.0004 is not between sampling.t_eps = 0.05 and sampling.mh_t = 0.01"),
    ({"training": {"kind": ["score", "energy"]}, "sampling": {"mh_t_end": 0.02}},
     "sampling.mh_t_end: 0.02 is not between sampling.t_eps = 1e-05 and sampling.mh_t = 0.01"),
])
def test_bad_kinds_and_metropolis_options_are_refused_naming_the_key(change, line):
    config = {**base_config(), **change}
    errors = config_errors(config)
    assert any(line in e for e in errors), errors


def test_a_point_asking_mala_of_its_score_model_is_refused_at_the_point():
    config = base_config()
    config["points"]["quartic"]["sampling"] = {"sampler": "mala"}
    config["training"] = {"kind": ["energy"]}
    config["points"]["quartic"]["training"] = {"kind": ["score", "energy"]}
    assert config_errors(config) == [
        "points.quartic.sampling.sampler: 'mala' needs a model with an energy, and points.quartic.training.kind = "
        "['score', 'energy'] holds 'score' (kinds with one: energy; their models are sampled with 'mala' anyway, "
        "next to the sampler asked)"]


def test_the_energy_study_and_mala_of_energy_models_alone_are_accepted():
    assert config_errors(yaml.safe_load((REPO / "config/energy.yaml").read_text())) == []
    assert config_errors({**base_config(), "training": {"kind": ["energy"]}, "sampling": {"sampler": "mala"}}) == []


def test_the_energy_stages_write_acceptance_and_the_explicit_density(tmp_path, capsys, monkeypatch):
    """A toy Gaussian point through the stages with energy models: the mala sample files hold the
    acceptance of each level (also in the log), the pool keeps it per member, moments.csv has the
    rows of every estimator, and the density figure of an energy model is its explicit density,
    with its total-variation distances to CL and exact P in the log."""
    config = {**base_config(), **yaml.safe_load((REPO / "config/test.yaml").read_text())}
    config["training"].update(steps=100, kind=["score", "energy"])
    p = load_study(config).points["gaussian"]
    cl = str(tmp_path / "cl.npz")
    run_langevin("gaussian", p.physics, p.langevin, p.seed, cl, str(tmp_path / "d.json"), "c")
    mala = dataclasses.replace(p.sampling, mh_samples=1000, batch=500).metropolis()
    paths = {}
    for est, kind, sampling in (("DM", "score", p.sampling), ("DM-energy", "energy", p.sampling),
                                ("DM-energy-MH", "energy", mala)):
        members = []
        for k in range(p.training.ensemble):
            model = tmp_path / f"{kind}{k}.pt"
            if not model.exists():
                train_member("gaussian", k, p.training, p.seed, cl, str(model), str(tmp_path / f"{kind}{k}.csv"),
                             code="c", kind=kind)
            members.append(str(tmp_path / f"{est}{k}.npz"))
            sample_member("gaussian", k, sampling, p.seed, str(model), members[-1], "c", training=p.training, cl_path=cl)
        paths[est] = str(tmp_path / f"{est}.npz")
        pool_members(members, paths[est])
    log = capsys.readouterr().err
    assert log.count("Metropolis acceptance per level: sigma") == p.training.ensemble
    levels = p.sampling.mh_levels
    member = load_samples(str(tmp_path / "DM-energy-MH0.npz"))
    assert member["acceptance"].shape == (levels,) and ((member["acceptance"] >= 0) & (member["acceptance"] <= 1)).all()
    assert np.allclose(member["mh_sigma"], mh_sigmas(SDE, p.sampling.mh_t_end, p.sampling.mh_t, levels).numpy())
    assert load_samples(paths["DM-energy-MH"])["acceptance"].shape == (p.training.ensemble, levels)
    assert "acceptance" not in load_samples(paths["DM-energy"])
    point_moments("gaussian", p.physics, p.training, cl, paths, str(tmp_path / "m.csv"), str(tmp_path / "e.csv"), "c")
    assert list(dict.fromkeys(read_csv(str(tmp_path / "m.csv")).estimator)) == ["exact", "CL", *paths]

    shown = {}

    def density_figure(*args):  # records what the stage shows: the last argument, `what`
        shown["what"] = args[-1]
        return plt.figure()

    monkeypatch.setattr(field_figures, "density_figure", density_figure)
    for kind in ("score", "energy"):
        out = [str(tmp_path / f"{kind}_density.pdf"), str(tmp_path / f"{kind}_density.png")]
        field_figures.field("density", "gaussian", p.physics, cl, str(tmp_path / f"{kind}0.pt"), 40, out)
        shown[kind] = shown.pop("what")
        assert all(Path(f).exists() for f in out)
    assert shown == {"score": "density from the learned score", "energy": "explicit density of the learned energy"}
    assert capsys.readouterr().err.count("total-variation distance of P_theta to CL: ") == 2
