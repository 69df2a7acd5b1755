"""Antithetic pairs in denoising score matching (cldm.dm.train.antithetic_pairs, training.antithetic):
the layout of a step's batch, the same expected gradient with far less variance at small noise
levels, the training loop's use of it, and the config's refusal of blocks that cannot hold pairs."""

import dataclasses

import numpy as np
import pytest
import torch

import cldm.dm.train as train_module
from cldm import CldmError
from cldm.dm.families import FAMILIES
from cldm.dm.sde import VESDE
from cldm.settings import SettingsError
from cldm.settings.training import Training
from helpers import gradients


def _paired(batch, noise, paired):
    """A step's batch and noise under antithetic pairs (as the training loop lays them out)."""
    index, sign = train_module.antithetic_pairs(paired, len(batch) // len(paired))
    return batch.index_select(0, index), noise.index_select(0, index) * sign


def test_a_paired_blocks_second_half_repeats_its_first_with_the_noise_negated():
    levels, b, dim = 3, 6, 2
    batch = torch.arange(levels * b * dim, dtype=torch.float32).view(levels * b, dim)
    noise = torch.randn(levels * b, dim)
    paired = torch.tensor([True, False, True])
    u, z = _paired(batch, noise, paired)
    u, z, batch, noise = (a.view(levels, b, dim) for a in (u, z, batch, noise))
    assert torch.equal(u[paired, : b // 2], batch[paired, : b // 2])
    assert torch.equal(u[paired, b // 2 :], batch[paired, : b // 2])
    assert torch.equal(z[paired, : b // 2], noise[paired, : b // 2])
    assert torch.equal(z[paired, b // 2 :], -noise[paired, : b // 2])
    assert torch.equal(u[1], batch[1]) and torch.equal(z[1], noise[1])  # the unpaired block as it was
    steps = torch.tensor([[True, False, True], [False, True, False]])  # several steps' at once: each its own
    index, sign = train_module.antithetic_pairs(steps, b)
    for j in range(2):
        assert [torch.equal(a, c) for a, c in zip(train_module.antithetic_pairs(steps[j], b), (index[j], sign[j]))] == [True] * 2


def test_blocks_of_an_odd_number_of_rows_are_refused():
    with pytest.raises(CldmError, match="even number of rows per noise level"):
        train_module.antithetic_pairs(torch.ones(2, dtype=torch.bool), 3)
    with pytest.raises(SettingsError, match="antithetic: pairs need an even number of rows per noise level"):
        Training(batch_size=192, levels=64, antithetic=True)
    assert Training(batch_size=256, levels=64, antithetic=True).errors() == []


def _gradient(net, kind, u, t, z) -> np.ndarray:
    return torch.cat([g.flatten() for g in gradients(net, kind.loss, u, t, z)[1].values()]).numpy()


@pytest.mark.parametrize("sigma", [0.02, 0.1])
def test_pairs_estimate_the_same_gradient_with_far_less_variance_at_small_noise(sigma):
    """Gradients of one noise level's loss over many batches of non-Gaussian data (a two-bump
    mixture), with independent rows and noise, and with antithetic pairs of the same number of rows:
    their means agree within the error of the difference (both estimate the same gradient), and the
    pairs' total variance (trace of the covariance) is below a tenth of the plain estimate's. Without
    the pairs the ratio is 1 up to noise."""
    torch.manual_seed(0)
    kind = FAMILIES["score"]
    rng = np.random.default_rng(1)
    data = rng.standard_normal((20_000, 2)) * [0.3, 0.1] + rng.choice([-1.0, 1.0], (20_000, 1)) * [1.0, 0.2]
    cfg = Training(hidden=(32, 32), embed_dim=16, levels=1)
    net = kind.build(cfg, torch.as_tensor(data)).double()
    with torch.no_grad():  # a network away from its initial (Gaussian) score: the output layer not zero
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    u_all = net.standardize(torch.as_tensor(data))
    t = net.sde.t_of_sigma(torch.tensor([sigma], dtype=torch.float64))
    gen = torch.Generator().manual_seed(2)
    rows, repeats, plain, pairs = 64, 400, [], []
    for _ in range(repeats):
        u = u_all[torch.randint(len(u_all), (rows,), generator=gen)]
        z = torch.randn(u.shape, generator=gen, dtype=torch.float64)
        plain.append(_gradient(net, kind, u, t, z))
        u_pairs, z_pairs = _paired(u, z, torch.ones(1, dtype=torch.bool))
        pairs.append(_gradient(net, kind, u_pairs, t, z_pairs))
    plain, pairs = np.array(plain), np.array(pairs)
    var_plain, var_pairs = plain.var(axis=0, ddof=1).sum(), pairs.var(axis=0, ddof=1).sum()
    print(f"sigma {sigma}: variance ratio {var_pairs / var_plain:.4f}")
    assert var_pairs < 0.1 * var_plain, (var_pairs, var_plain)
    difference = np.linalg.norm(plain.mean(axis=0) - pairs.mean(axis=0))
    assert difference < 4 * np.sqrt((var_plain + var_pairs) / repeats), difference


def test_training_pairs_the_blocks_below_the_datas_scale_when_asked(monkeypatch):
    """train() with training.antithetic lays out every step's batch and noise by antithetic_pairs
    (and does not without it), pairing exactly the blocks whose noise level is below PAIRED_BELOW
    (the stratified levels fall on both sides of it): the rows a step's loss sees repeat as pairs,
    with opposite noise."""
    seen = []

    def recorded(family_loss):
        def loss(model, batch, t, noise):
            seen.append((batch.clone(), noise.clone()))
            return family_loss(model, batch, t, noise)
        return loss

    kind = FAMILIES["score"]
    monkeypatch.setitem(FAMILIES, "score", dataclasses.replace(kind, loss_and_grad=None, loss=recorded(kind.loss)))
    data = np.random.default_rng(0).standard_normal((2048, 2))
    cfg = Training(steps=5, batch_size=256, levels=8, warmup=1, hidden=(16,), embed_dim=8, log_every=100)
    train_module.train(data, data[:512], cfg, seed=0)
    plain, seen[:] = seen[:5], []
    train_module.train(data, data[:512], dataclasses.replace(cfg, antithetic=True), seed=0)
    paired = seen[:5]
    times = train_module._epoch_plan(len(data), cfg, VESDE(cfg.alpha), 0, 0)[1][:5]
    expected = VESDE(cfg.alpha).sigma(times) < train_module.PAIRED_BELOW
    assert 0 < int(expected.sum()) < expected.numel()
    b = cfg.batch_size // cfg.levels
    for (u0, z0), (u, z), blocks in zip(plain, paired, expected):
        u, z = u.view(cfg.levels, b, -1), z.view(cfg.levels, b, -1)
        repeats = torch.tensor([torch.equal(u[i, b // 2 :], u[i, : b // 2]) and torch.equal(z[i, b // 2 :], -z[i, : b // 2])
                                for i in range(cfg.levels)])
        assert torch.equal(repeats, blocks)
        assert not torch.equal(u0.view(cfg.levels, b, -1)[0, b // 2 :], u0.view(cfg.levels, b, -1)[0, : b // 2])
