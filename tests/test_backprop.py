"""The training step's pieces written by hand: the score MLP's gradient (cldm.dm.backprop) against
autograd, the training loop's use of it, and Adam (cldm.dm.optim) against torch.optim.Adam."""

import numpy as np
import pytest
import torch

from cldm.dm.backprop import dsm_loss_and_grad
from cldm.dm.families import FAMILIES, dsm_loss
from cldm.dm.model import ScoreNet
from cldm.dm.sde import VESDE
from cldm.dm.train import sample_t
from cldm.settings.training import Training
from helpers import assert_by_hand_is_autograds, assert_trains_like_autograd, gradients


def _net(hidden, dim=2, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    a = torch.randn(dim, dim, dtype=torch.float64)
    net = ScoreNet(VESDE(25.0), torch.randn(dim), torch.linalg.cholesky(a @ a.T + torch.eye(dim)), hidden, 16)
    with torch.no_grad():  # away from the initialisation: larger weights, biases not zero
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return net.to(dtype)


@pytest.mark.parametrize("hidden, dim, levels, rows", [((64, 64, 64), 2, 8, 512), ((5,), 2, 1, 64), ((7, 3), 3, 4, 40)])
def test_the_gradient_by_hand_is_autograds(hidden, dim, levels, rows):
    """In float64 the two agree to rounding (1e-10 relative): every parameter, every layer count,
    one or several levels a batch, 2 or 3 features."""
    net = _net(hidden, dim)
    gen = torch.Generator().manual_seed(1)
    u = torch.randn(rows, dim, generator=gen, dtype=torch.float64)
    z = torch.randn(rows, dim, generator=gen, dtype=torch.float64)
    t = sample_t(Training(levels=levels, batch_size=rows), net.sde, gen).double()
    assert_by_hand_is_autograds(net, dsm_loss, dsm_loss_and_grad, u, t, z)


def test_the_gradient_by_hand_in_float32_at_the_default_batch():
    """The training precision: agreement to float32 rounding of sums over 4096 rows."""
    cfg = Training()
    net = _net(cfg.hidden, dtype=torch.float32)
    gen = torch.Generator().manual_seed(2)
    u, z = torch.randn(cfg.batch_size, 2, generator=gen), torch.randn(cfg.batch_size, 2, generator=gen)
    t = sample_t(cfg, net.sde, gen)
    ref_loss, ref = gradients(net, dsm_loss, u, t, z)
    loss, got = gradients(net, dsm_loss_and_grad, u, t, z)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5)
    for name in ref:
        assert (got[name] - ref[name]).abs().max().item() <= 1e-4 * ref[name].abs().max().item(), name


def test_the_backward_pass_in_bfloat16_rounds_the_gradient_only():
    """training.backward = bfloat16: the loss is float32's to the last bit (the forward
    pass is untouched) and each parameter's gradient is float32's up to bfloat16 rounding: relative
    error (Frobenius) above 1e-4 (the products did run in bfloat16) and below 8 u = 3e-2, u = 2^-8
    bfloat16's unit roundoff (a product's operands are rounded once each, its result once; the
    errors of a sum of 2048 rows average out), at the default batch and network; measured ~3e-3."""
    cfg = Training(backward="bfloat16")
    net = _net(cfg.hidden, dtype=torch.float32)
    gen = torch.Generator().manual_seed(5)
    u, z = torch.randn(cfg.batch_size, 2, generator=gen), torch.randn(cfg.batch_size, 2, generator=gen)
    t = sample_t(cfg, net.sde, gen)
    ref_loss = dsm_loss_and_grad(net, u, t, z)
    ref = {n: p.grad.clone() for n, p in net.named_parameters()}
    loss = dsm_loss_and_grad(net, u, t, z, backward=getattr(torch, cfg.backward))
    assert loss.item() == ref_loss.item()
    for name, p in net.named_parameters():
        assert p.grad.dtype == torch.float32, name
        err = ((p.grad - ref[name]).norm() / ref[name].norm()).item()
        if name.startswith("out."):  # the output layer's gradient comes before the backward products
            assert err == 0, name
        else:
            assert 1e-4 < err < 8 * 2.0**-8, (name, err)


def test_stochastic_rounding_to_bfloat16_is_unbiased():
    """The backward pass's weights in bfloat16 (training.backward): each draw is one of w's two
    bfloat16 neighbours, and the mean of N draws is w within 5 standard errors (a draw's spread is
    at most half the gap between the neighbours, ulp / 2); rounding to the nearest, whose error
    stays the same from step to step while the weights barely move, misses by ~0.18 ulp on average,
    three times that tolerance."""
    from cldm.dm.backprop import stochastic_bfloat16

    gen = torch.Generator().manual_seed(6)
    w = torch.randn(64, 64, generator=gen) * 0.1
    w[0, :4] = torch.tensor([1.0, -0.5, 0.0, 3.0])  # already bfloat16: always itself
    down = w.to(torch.bfloat16).float()
    ulp = (w.abs() * 2.0**-7).clamp_min(1e-30)
    n, total = 2000, torch.zeros_like(w, dtype=torch.float64)
    for _ in range(n):
        r = stochastic_bfloat16([w], gen)[0].float()
        assert ((r - w).abs() <= ulp).all()  # a neighbour (ulp >= their gap), not further
        total += r.double()
    mean = total / n
    assert torch.equal(mean[0, :4].float(), w[0, :4])
    assert ((mean - w.double()).abs() / ulp.double()).max().item() < 5 * 0.5 / n**0.5
    assert ((down - w).abs() / ulp).mean().item() > 2 * 5 * 0.5 / n**0.5  # rounding to the nearest would fail


def test_networks_of_another_activation_are_refused():
    net = _net((4,))
    net.act = torch.nn.SiLU()
    u = torch.zeros(8, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="SiLU"):
        dsm_loss_and_grad(net, u, torch.ones(1, dtype=torch.float64) * 0.5, u)


def test_training_takes_the_gradient_by_hand(monkeypatch):
    """The score family trains through loss_and_grad, once a step, and ends where autograd's loop
    ends up to float32 rounding."""
    assert FAMILIES["score"].loss_and_grad is dsm_loss_and_grad
    data = np.random.default_rng(0).standard_normal((4096, 2)) @ np.array([[1.0, 0.3], [0.0, 0.5]])
    cfg = Training(hidden=(16, 16), embed_dim=16, batch_size=256, levels=8, steps=30, warmup=5, log_every=10)
    assert_trains_like_autograd(monkeypatch, "score", data, cfg)


def test_adam_is_torchs_adam():
    """cldm.dm.optim.Adam against torch.optim.Adam (its reference loop) over 50 steps of a changing
    learning rate, and a state saved halfway that continues the same trajectory."""
    from cldm.dm.optim import Adam

    torch.manual_seed(0)
    shapes = [(7, 5), (5,), (3, 7)]
    start = [torch.randn(s, dtype=torch.float64) for s in shapes]
    grads = [[torch.randn(s, dtype=torch.float64) for s in shapes] for _ in range(50)]
    ours = [p.clone().requires_grad_(True) for p in start]
    ref = [p.clone().requires_grad_(True) for p in start]
    resumed = [p.clone().requires_grad_(True) for p in start]
    opt, ref_opt, again = Adam(ours), torch.optim.Adam(ref, lr=1.0, foreach=False), None
    for i, g in enumerate(grads):
        lr = 1e-2 * (1 + np.cos(i / 10))
        for group in ref_opt.param_groups:
            group["lr"] = lr
        for p, q, gi in zip(ours, ref, g):
            p.grad, q.grad = gi.clone(), gi.clone()
        ours[1].grad = ref[1].grad = None  # a parameter without a gradient is left alone
        opt.step(lr)
        ref_opt.step()
        if i == 24:
            with torch.no_grad():
                for p, q in zip(resumed, ours):
                    p.copy_(q)
            again = Adam(resumed)
            again.load_state_dict(opt.state_dict())
        elif again is not None:
            for p, gi in zip(resumed, g):
                p.grad = gi.clone()
            resumed[1].grad = None
            again.step(lr)
    assert torch.equal(ours[1], start[1])
    for p, q, r, p0 in zip(ours, ref, resumed, start):
        assert p is ours[1] or (p - p0).abs().max() > 0.01  # the steps moved it
        assert torch.allclose(p, q, rtol=0, atol=1e-13)
        assert torch.equal(p, r)


def test_an_epochs_levels_are_each_steps_own():
    """The loop's per-level terms, computed a chunk of steps at a time (EpochLevels) and visited in
    any order, give each step the loss and gradient of its own times."""
    from cldm.dm.backprop import EpochLevels

    cfg = Training(levels=4, batch_size=32)
    net = _net((6, 5))
    gen = torch.Generator().manual_seed(4)
    times = sample_t(cfg, net.sde, gen, steps=7).double()
    assert times.shape == (7, 4)
    assert not torch.equal(times[0], times[1])
    u, z = torch.randn(32, 2, generator=gen, dtype=torch.float64), torch.randn(32, 2, generator=gen, dtype=torch.float64)
    terms = EpochLevels(net, times, chunk=3)
    for step in (5, 0, 6, 2, 3, 1, 4):
        loss, got = gradients(net, dsm_loss_and_grad, u, terms[step], z)
        ref_loss, ref = gradients(net, dsm_loss_and_grad, u, times[step], z)
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-14), step
        for name in ref:
            assert torch.allclose(got[name], ref[name], rtol=1e-13, atol=0), (step, name)


def test_adam_with_every_gradient_present_is_torchs_adam():
    """The common path (every parameter has a gradient: one add_ advances all step counts), then a
    step where one has none (its count stays), against torch.optim.Adam."""
    from cldm.dm.optim import Adam

    torch.manual_seed(1)
    ours = [torch.randn(s, dtype=torch.float64, requires_grad=True) for s in [(4, 3), (3,)]]
    ref = [p.detach().clone().requires_grad_(True) for p in ours]
    opt, ref_opt = Adam(ours), torch.optim.Adam(ref, lr=1e-2, foreach=False)
    for i in range(20):
        for p, q in zip(ours, ref):
            p.grad = torch.randn_like(p)
            q.grad = p.grad.clone()
        if i == 10:
            ours[0].grad = ref[0].grad = None
        opt.step(1e-2)
        ref_opt.step()
    assert [k.item() for k in opt.k] == [19, 20]
    for p, q in zip(ours, ref):
        assert torch.allclose(p, q, rtol=0, atol=1e-13)


def test_adam_refuses_a_gradient_laid_out_unlike_its_parameter():
    """A transposed gradient (the same values, other strides: what (v^T d)^T gives) is refused by
    name, not read in memory order: a field model's first layer trained with one lost 0.02-0.04 of
    validation loss in 3000 steps before the check (docs/chain.md)."""
    from cldm.dm.optim import Adam

    w = torch.nn.Parameter(torch.randn(4, 3))
    opt = Adam([w])
    w.grad = torch.randn(3, 4).T
    with pytest.raises(ValueError, match=r"parameter 0 \(shape \(4, 3\)\) has strides \(1, 4\)"):
        opt.step(1e-3)
    w.grad = w.grad.contiguous()
    opt.step(1e-3)
