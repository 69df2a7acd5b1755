import dataclasses
import inspect
import os

import numpy as np
import pytest
import torch

import cldm.dm.train as train_mod
from cldm import CldmError
from cldm.analysis.control_variates import cv_moments
from cldm.analysis.stats import moments
from cldm.dm.checkpoint import load_model, save_model
from cldm.dm.families import FAMILIES
from cldm.dm.model import ScoreNet
from cldm.dm.sample import generate
from cldm.dm.samplers import SAMPLERS
from cldm.dm.sde import VESDE
from cldm.dm.train import sample_t, train
from cldm.settings.sampling import Sampling
from cldm.settings.training import Training

from conftest import C, gaussian_data
from helpers import covariance_rows, pull_report

# lr and ema as the tests were written for (the study's defaults are 1e-3 and 0.9995, for 2e4 steps)
SMALL = Training(steps=60, batch_size=128, warmup=10, log_every=20, checkpoint_every=20, lr=2e-3, ema=0.999)


def test_vesde_marginal_std_and_its_inverse():
    sde = VESDE(25.0)
    t = torch.tensor([1e-4, 0.3, 1.0], dtype=torch.float64)
    assert torch.allclose(sde.sigma(t) ** 2, (25.0 ** (2 * t) - 1) / (2 * np.log(25.0)))
    assert torch.allclose(sde.t_of_sigma(sde.sigma(t)), t)


def test_one_noise_level_per_block_of_rows_equals_levels_row_by_row():
    model = ScoreNet(VESDE(25.0), torch.zeros(2), torch.eye(2))
    u, t = torch.randn(64, 2), torch.rand(4)
    assert torch.allclose(model(u, t), model(u, t.repeat_interleave(16)), atol=1e-6)
    assert torch.allclose(model(u, t[0]), model(u, t[0].repeat(64)), atol=1e-6)


def test_training_noise_levels_fill_one_stratum_each():
    """ln sigma(t) = p_mean + p_std Phi^-1(q): level i has q in [i/m, (i+1)/m)."""
    cfg, sde = Training(p_mean=-2.0, p_std=0.5, levels=64), VESDE(25.0)
    ln_sigma = torch.log(sde.sigma(sample_t(cfg, sde, torch.Generator().manual_seed(0)).double()))
    q = torch.special.ndtr((ln_sigma - cfg.p_mean) / cfg.p_std)
    assert torch.equal(torch.floor(q * cfg.levels), torch.arange(64, dtype=torch.float64))


def test_the_model_whitens_with_the_data_covariance_to_float32_precision():
    """Mean and covariance of 1.9e6 training points, which float32 sums had biased by -0.14%."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=(2_000_000, 2)) * [0.87, 0.5] + [0.3, -0.1]
    model = train(data[:1_900_000], data[1_900_000:], Training(steps=1, batch_size=64, warmup=1, log_every=1), seed=0).model
    mean, cov = model.gaussian_law(1.0)
    assert np.allclose(mean, data[:1_900_000].mean(0), rtol=0, atol=1e-6)
    assert np.allclose(cov, np.cov(data[:1_900_000].T), rtol=1e-6, atol=1e-7)


def test_too_little_data_for_a_batch_is_an_error():
    data = gaussian_data(1000, 0)
    with pytest.raises(CldmError, match="fewer than batch_size 128"):
        train(data[:900], data[900:], SMALL, seed=0)


@pytest.mark.parametrize("sampler, steps", [("heun", 40), ("em", 300), ("ei", 100), ("eipc", 48), ("pc", 300)])
def test_sampler_with_the_exact_gaussian_score(sampler, steps):
    """The solver alone (no network): the exact score -(C + sigma^2)^-1 x must give covariance C."""
    sde, cov = VESDE(25.0), torch.tensor(C, dtype=torch.float32)

    def score(x, t):
        return -x @ torch.linalg.inv(cov + sde.sigma(t) ** 2 * torch.eye(2))

    x = generate(score, sde, 100_000, 2, sampler, steps, seed=1).x.double().numpy()
    rows = covariance_rows(x, C, sampler)
    assert all(abs(v - e) < 3 * s for _, v, e, s in rows), pull_report(rows)


def test_em_reference_path_and_its_exact_variance():
    """With the score of unit Gaussian data the sampled path is the reference path, and the reference
    variance from the recursion (3% above 1 at 20 steps: the solver's own bias) is what the samples show."""
    sde, n = VESDE(25.0), 200_000
    draw = generate(lambda x, t: -x / (1 + sde.sigma(t) ** 2), sde, n, 2, "em", 20, seed=3)
    assert torch.allclose(draw.x, draw.ref, atol=1e-4)
    var, err = draw.ref.double().var(0).numpy(), draw.ref_var * np.sqrt(2 / n)
    assert np.all(np.abs(var - draw.ref_var) < 3 * err), (var, draw.ref_var, err)
    assert draw.ref_var - 1 > 5 * err


def test_ei_is_exact_for_unit_gaussian_data_and_its_reference_is_the_path():
    """With the score of unit Gaussian data the exponential integrator samples N(0, I) without solver
    error at any step count: the reference variance is 1 up to the start (sigma_max^2 instead of
    1 + sigma_max^2) and Tweedie's last step, and the samples show it."""
    sde, n = VESDE(25.0), 200_000
    draw = generate(lambda x, t: -x / (1 + sde.sigma(t) ** 2), sde, n, 2, "ei", 5, seed=3)
    assert torch.allclose(draw.x, draw.ref, atol=1e-5)
    assert abs(draw.ref_var - 1) < 1e-3
    var, err = draw.ref.double().var(0).numpy(), draw.ref_var * np.sqrt(2 / n)
    assert np.all(np.abs(var - draw.ref_var) < 3 * err), (var, draw.ref_var, err)


def test_the_sampler_registry_names_functions_with_its_options():
    """Each registered sampler resolves to a function whose keyword-only options are the registry's,
    each a Sampling setting; the schema offers exactly the registry's names."""
    for name, spec in SAMPLERS.items():
        params = inspect.signature(spec.load()).parameters
        assert {k for k, p in params.items() if p.kind is p.KEYWORD_ONLY} == set(spec.options), name
        assert set(spec.options) <= set(Sampling.__dataclass_fields__), name
    assert Sampling.schema()["properties"]["sampler"]["enum"] == list(SAMPLERS)


def test_trained_model_reproduces_gaussian_z2(gaussian_model):
    """<z^2> = 0.5 - 0.5i: DM statistical error and the training data's error combined."""
    (model, log, _), data = gaussian_model
    u = generate(model, model.sde, 50_000, 2, "heun", 30, seed=2).x
    xy = model.destandardize(u).double().numpy()
    dm = moments(xy[:, 0] + 1j * xy[:, 1], 2, iid=True)[1]
    cl = moments(data[:, 0] + 1j * data[:, 1], 2, iid=True)[1]
    rows = [("Re<z^2>", dm["re"], 0.5, np.hypot(dm["re_err"], cl["re_err"])),
            ("Im<z^2>", dm["im"], -0.5, np.hypot(dm["im_err"], cl["im_err"]))]
    assert all(abs(v - e) < 3 * s for _, v, e, s in rows), pull_report(rows)
    assert log[-1]["val_loss"] < log[0]["val_loss"]


def test_control_variate_moments_of_a_trained_model(gaussian_model):
    """em with the Gaussian reference path: <z^2> within errors, with an error far below the plain one."""
    (model, _, _), data = gaussian_model
    draw = generate(model, model.sde, 20_000, 2, "em", 100, seed=4)
    z, z_ref = (model.destandardize(u).double().numpy() @ [1, 1j] for u in (draw.x, draw.ref))
    cv = cv_moments(z, z_ref, *model.gaussian_law(draw.ref_var), nmax=2)[1]
    plain = moments(z, 2, iid=True)[1]
    cl = moments(data[:, 0] + 1j * data[:, 1], 2, iid=True)[1]
    rows = [("Re<z^2>", cv["re"], 0.5, np.hypot(cv["re_err"], cl["re_err"])),
            ("Im<z^2>", cv["im"], -0.5, np.hypot(cv["im_err"], cl["im_err"]))]
    assert all(abs(v - e) < 3 * s for _, v, e, s in rows), pull_report(rows)
    assert cv["re_err"] < plain["re_err"] / 3 and cv["im_err"] < plain["im_err"] / 3


def test_checkpoint_round_trip(gaussian_model, tmp_path):
    model = gaussian_model[0].model
    path = str(tmp_path / "m.pt")
    save_model(model, Training(steps=3000, batch_size=512, warmup=200, log_every=500, lr=2e-3, ema=0.999), path, {"seed": 1})
    loaded = load_model(path)
    x, t = torch.randn(100, 2), torch.rand(100)
    assert torch.equal(model(x, t), loaded(x, t))


def test_corrupt_checkpoint_names_the_file(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CldmError, match="broken.pt"):
        load_model(str(path))


def state(model) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_same_seed_same_model():
    data = gaussian_data(5000, 3)
    a, b, c = (train(data[:4000], data[4000:], SMALL, seed=s).model for s in (7, 7, 8))
    assert all(torch.equal(v, state(b)[k]) for k, v in state(a).items())
    assert not all(torch.equal(v, state(c)[k]) for k, v in state(a).items())


def interrupted_at_step_40(data, path, monkeypatch, cfg=SMALL):
    """Train cfg (60 steps) with checkpoints every 20 steps; die right after the one of step 40."""
    save = train_mod._save_resume

    def save_then_die(*args):
        save(*args)
        if args[6] == 40:  # step
            raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "_save_resume", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train(data[:4000], data[4000:], cfg, seed=7, resume_path=path, fingerprint="f")
    monkeypatch.setattr(train_mod, "_save_resume", save)


def counting_steps(monkeypatch) -> list:
    """Count the optimiser steps a run takes (one loss evaluation with gradients per step, by autograd
    or by hand)."""
    calls = []
    family = FAMILIES["score"]

    def counted(model, *args):
        calls.append(torch.is_grad_enabled())
        return family.loss(model, *args)

    def counted_by_hand(model, *args, **kw):
        calls.append(True)
        return family.loss_and_grad(model, *args, **kw)

    monkeypatch.setitem(FAMILIES, "score", dataclasses.replace(
        family, loss=counted, loss_and_grad=counted_by_hand if family.loss_and_grad else None))
    return calls


@pytest.mark.parametrize("backward", ["float32", "bfloat16"])
def test_resume_after_interruption_runs_only_the_missing_steps_and_gives_the_same_model(tmp_path, monkeypatch, capfd,
                                                                                         backward):
    """Bit for bit, also with the backward pass in bfloat16, whose stochastic rounding draws from a
    stream of its own that the checkpoint carries."""
    cfg = dataclasses.replace(SMALL, backward=backward)
    data = gaussian_data(5000, 3)
    whole = train(data[:4000], data[4000:], cfg, seed=7)
    resume = str(tmp_path / "resume.pt")
    interrupted_at_step_40(data, resume, monkeypatch, cfg)
    steps = counting_steps(monkeypatch)
    resumed = train(data[:4000], data[4000:], cfg, seed=7, resume_path=resume, fingerprint="f")
    assert resumed.first_step == 40 and sum(steps) == 20, (resumed.first_step, sum(steps))
    assert f"resumed at step 40 from {resume}" in capfd.readouterr().err
    assert all(torch.equal(v, state(resumed.model)[k]) for k, v in state(whole.model).items())
    assert resumed.log == whole.log
    assert not os.path.exists(resume)


@pytest.mark.parametrize("damage", ["other fingerprint", "unreadable"])
def test_a_checkpoint_that_does_not_fit_is_rejected_with_the_reason(tmp_path, monkeypatch, capfd, damage):
    data = gaussian_data(5000, 3)
    resume = tmp_path / "resume.pt"
    interrupted_at_step_40(data, str(resume), monkeypatch)
    fingerprint = "f"
    if damage == "unreadable":
        resume.write_bytes(resume.read_bytes()[:100])
    else:
        fingerprint = "other settings"
    steps = counting_steps(monkeypatch)
    again = train(data[:4000], data[4000:], SMALL, seed=7, resume_path=str(resume), fingerprint=fingerprint)
    assert again.first_step == 0 and sum(steps) == 60
    err = capfd.readouterr().err
    assert f"checkpoint {resume} rejected: " in err and "training from step 0" in err, err
    assert ("unreadable" if damage == "unreadable" else "made for other settings or data") in err, err


def test_divergent_training_stops_with_a_message():
    data = gaussian_data(5000, 3)
    with pytest.raises(CldmError, match="training diverged at step"):
        train(data[:4000], data[4000:], Training(steps=50, batch_size=128, lr=1e4, warmup=1, max_loss=5.0), seed=1)
