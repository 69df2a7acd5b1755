"""The conditioned model's training step by hand (cldm.dm.conditioned_backprop) against autograd,
and the training loop's use of it."""

import numpy as np
import pytest
import torch

from cldm.dm.conditioned import ConditionedScoreNet, conditioned_dsm_loss
from cldm import CldmError
from cldm.dm.conditioned_backprop import BlockOrder, conditioned_loss_and_grad
from cldm.dm.families import FAMILIES
from cldm.dm.sde import VESDE
from cldm.dm.train import sample_t
from cldm.settings.scan import ConditionedTraining
from helpers import assert_by_hand_is_autograds, assert_trains_like_autograd, gradients


def _net(hidden, n_params=1, seed=0, dtype=torch.float64):
    """Away from the initialisation: every weight, the FiLM and covariance maps too (zero at the
    start), moved at random, so every term of the gradient is exercised."""
    torch.manual_seed(seed)
    a = torch.randn(2, 2, dtype=torch.float64)
    lo, hi = -torch.rand(n_params), 1 + torch.rand(n_params)
    net = ConditionedScoreNet(VESDE(25.0), torch.randn(2), torch.linalg.cholesky(a @ a.T + torch.eye(2)), lo, hi,
                              hidden, 16, cond_dim=8)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return net.to(dtype)


def _rows(net, rows, n_values, levels, gen, dtype):
    """Whitened (u, p~) rows in blocks of rows / levels rows (one noise level each) that share one
    of n_values distinct parameter rows, as `BlockOrder` orders an epoch."""
    values = torch.rand(n_values, net.lo.numel(), generator=gen, dtype=dtype) * 2 - 1
    p = values[torch.randint(0, n_values, (levels,), generator=gen)].repeat_interleave(rows // levels, dim=0)
    return torch.cat([torch.randn(rows, 2, generator=gen, dtype=dtype), p], dim=1)


def test_the_first_layer_sees_the_cubes_so_the_score_can_grow_as_a_quartic_drift():
    """Far from the data a LeakyReLU MLP on v alone is linear in v (a Gaussian tail); with v^3 / 3
    among its inputs the score can grow as -lam x^3. A model with S = 1 (C = sqrt(1 + sigma^2)) and
    one hidden unit that reads the cube of v_0 alone: F_0 = v_0^3 / 3 where v_0 > 0, so
    s_0 = (v_0^3 / (3 sigma) - v_0) / C, s_1 = -v_1 / C."""
    net = ConditionedScoreNet(VESDE(25.0), torch.zeros(2), torch.eye(2), torch.zeros(1), torch.ones(1), (1,), 16,
                              cond_dim=4).double()
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.layers[0].weight[0, net.dim] = 1.0  # features(v) = (v_0, v_1, v_0^3 / 3, v_1^3 / 3)
        net.out.weight[0, 0] = 1.0
    t = torch.tensor(0.4, dtype=torch.float64)
    sigma = float(net.sde.sigma(t))
    c = (1 + sigma**2) ** 0.5
    u = torch.tensor([[0.5, -1.0], [2.0, 0.3], [8.0, 4.0]], dtype=torch.float64)
    v = u / c
    expected = torch.stack([(v[:, 0] ** 3 / (3 * sigma) - v[:, 0]) / c, -v[:, 1] / c], dim=1)
    score = net(u, t, torch.zeros(1, 1, dtype=torch.float64))
    assert torch.allclose(score, expected, rtol=1e-12, atol=1e-12), (score, expected)


@pytest.mark.parametrize("hidden, n_params, n_values, levels, rows",
                         [((64, 64, 64), 1, 7, 8, 512), ((5,), 1, 1, 1, 64), ((7, 3), 2, 5, 4, 40)])
def test_the_gradient_by_hand_is_autograds(hidden, n_params, n_values, levels, rows):
    """In float64 the two agree to rounding (1e-10 relative): every parameter (the layers, the FiLM
    maps, the parameter embedding, the learned covariance), one or several layers, levels,
    parameter values and varying parameters."""
    net = _net(hidden, n_params)
    gen = torch.Generator().manual_seed(1)
    x = _rows(net, rows, n_values, levels, gen, torch.float64)
    z = torch.randn(x.shape, generator=gen, dtype=torch.float64)
    t = sample_t(ConditionedTraining(levels=levels, batch_size=rows), net.sde, gen).double()
    assert_by_hand_is_autograds(net, conditioned_dsm_loss, conditioned_loss_and_grad, x, t, z)


def test_the_backward_pass_in_bfloat16_rounds_the_gradient_only():
    """training.backward = bfloat16 at the scan's batch: the loss is float32's to the last bit and
    each gradient float32's up to bfloat16 rounding (relative error above 1e-4: the products did
    run in bfloat16, and below 8 u = 3e-2), as for the per-point model (tests/test_backprop.py)."""
    cfg = ConditionedTraining(batch_size=4096)
    net = _net(cfg.hidden, dtype=torch.float32)
    gen = torch.Generator().manual_seed(5)
    x = _rows(net, cfg.batch_size, 7, cfg.levels, gen, torch.float32)
    z = torch.randn(x.shape, generator=gen)
    t = sample_t(cfg, net.sde, gen)
    ref_loss, ref = gradients(net, conditioned_loss_and_grad, x, t, z)
    loss, got = gradients(net, conditioned_loss_and_grad, x, t, z, backward=torch.bfloat16,
                          gen=torch.Generator().manual_seed(0))
    assert loss.item() == ref_loss.item()
    lowered = [name for name in ref if name.startswith(("layers.1.", "layers.2."))]
    for name in ref:
        assert got[name].dtype == torch.float32, name
        err = ((got[name] - ref[name]).norm() / ref[name].norm()).item()
        assert err < 8 * 2.0**-8, (name, err)
        if name in lowered:
            assert err > 1e-4, (name, err)


def test_training_takes_the_gradient_by_hand(monkeypatch):
    """Family 'conditioned' trains through loss_and_grad, once a step, and ends where autograd's loop
    ends up to float32 rounding."""
    assert FAMILIES["conditioned"].loss_and_grad is conditioned_loss_and_grad
    rng = np.random.default_rng(0)
    b = rng.choice([0.5, 1.0, 1.5], size=(4096, 1))
    data = np.hstack([rng.standard_normal((4096, 2)) * [1.0, 0.5] * np.sqrt(b), b])
    cfg = ConditionedTraining(hidden=(16, 16), embed_dim=16, cond_dim=8, batch_size=256, levels=8, steps=30,
                              warmup=5, log_every=10)
    assert_trains_like_autograd(monkeypatch, "conditioned", data, cfg)


def test_the_block_order_gives_each_block_one_value():
    """Each block of an epoch's order holds rows of one parameter value; no row twice; a value's
    rows that fill no whole block sit out (fewer than a block each); the blocks of the values come
    in proportion to their rows, mixed (not value by value)."""
    gen = torch.Generator().manual_seed(0)
    counts = {0.5: 1000, 1.0: 2000, 1.5: 3030}
    p = torch.cat([torch.full((c, 1), v) for v, c in counts.items()])
    rows = torch.cat([torch.randn(len(p), 2, generator=gen), p], dim=1)[torch.randperm(len(p), generator=gen)]
    blocked = BlockOrder(rows, 2)
    order = blocked(10, gen)
    assert len(set(order.tolist())) == len(order) == sum(c // 10 * 10 for c in counts.values()) == blocked.rows(10)
    blocks = rows[order, 2].view(-1, 10)
    assert (blocks == blocks[:, :1]).all()
    firsts = blocks[:, 0]
    assert {v: int((firsts == v).sum()) for v in counts} == {v: c // 10 for v, c in counts.items()}
    assert (firsts[1:] != firsts[:-1]).sum() > len(firsts) / 3  # shuffled, not sorted by value
    assert not torch.equal(order, blocked(10, gen))  # another order each epoch


def test_a_block_of_mixed_values_is_refused():
    """The step by hand takes p~ from each block's first row: rows in plain random order would give
    wrong gradients, so they are refused, naming the order to use."""
    net = _net((8,), dtype=torch.float32)
    gen = torch.Generator().manual_seed(3)
    x = _rows(net, 64, 3, 4, gen, torch.float32)
    x[5, 2] += 0.1
    t = sample_t(ConditionedTraining(levels=4, batch_size=64), net.sde, gen)
    with pytest.raises(CldmError, match="BlockOrder"):
        conditioned_loss_and_grad(net, x, t, torch.randn(x.shape, generator=gen))
