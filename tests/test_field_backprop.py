"""The field network's training step by hand (cldm.dm.field_backprop) against autograd, and the
training loop's use of it."""

import numpy as np
import pytest
import torch

from cldm.dm.families import FAMILIES, dsm_loss
from cldm.dm.field_backprop import field_loss_and_grad, neighbours_adjoint
from cldm.dm.field_model import FieldScoreNet
from cldm.dm.sde import VESDE
from cldm.dm.train import sample_t
from cldm.settings.training import Training
from helpers import assert_by_hand_is_autograds, assert_trains_like_autograd, gradients


def _net(channels, reach, sites=8, seed=0, dtype=torch.float64):
    """Away from the initialisation (the output layer starts at zero): every weight moved at random."""
    torch.manual_seed(seed)
    kernel = torch.zeros(sites, 2, 2, dtype=torch.float64)
    kernel[0] = torch.tensor([[1.0, 0.2], [0.2, 0.5]])
    kernel[1] = torch.tensor([[0.3, 0.05], [0.05, 0.1]])
    kernel[-1] = kernel[1]
    net = FieldScoreNet(VESDE(25.0), torch.randn(2), kernel, channels, 2 * reach + 1, 16)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return net.to(dtype)


def test_the_adjoint_of_the_neighbours():
    """<N(h), g> = <h, N^T g> for random h, g (the definition of the adjoint), at reach 0, 1, 2."""
    gen = torch.Generator().manual_seed(0)
    for reach in (0, 1, 2):
        net = _net((3,), reach)
        h = torch.randn(4, 5, 8, 3, generator=gen, dtype=torch.float64)
        g = torch.randn(4, 5, 8, 3 * (2 * reach + 1), generator=gen, dtype=torch.float64)
        lhs = (net._neighbours(h) * g).sum()
        rhs = (h * neighbours_adjoint(g, reach)).sum()
        assert abs(lhs - rhs) <= 1e-12 * abs(lhs), reach


@pytest.mark.parametrize("channels, reach, sites, levels, rows", [((16, 16, 16), 2, 8, 8, 64), ((5,), 1, 6, 1, 16),
                                                                  ((7, 3), 0, 4, 4, 20)])
def test_the_gradient_by_hand_is_autograds(channels, reach, sites, levels, rows):
    """In float64 the two agree to rounding (1e-10 relative): every parameter, layer count, reach,
    chain length, one or several levels a batch."""
    net = _net(channels, reach, sites)
    gen = torch.Generator().manual_seed(1)
    u = torch.randn(rows, 2 * sites, generator=gen, dtype=torch.float64)
    z = torch.randn(rows, 2 * sites, generator=gen, dtype=torch.float64)
    t = sample_t(Training(levels=levels, batch_size=rows), net.sde, gen).double()
    assert_by_hand_is_autograds(net, dsm_loss, field_loss_and_grad, u, t, z)


def test_the_backward_pass_in_bfloat16_rounds_the_gradient_only():
    """training.backward = bfloat16 at the chain's batch (512 fields of 8 sites, 48 channels): the
    loss is float32's to the last bit, each gradient float32's up to bfloat16 rounding (relative
    error above 1e-4 where a product ran in bfloat16, below 8 u = 3e-2)."""
    net = _net((48, 48, 48), 2, dtype=torch.float32)
    gen = torch.Generator().manual_seed(5)
    u, z = torch.randn(512, 16, generator=gen), torch.randn(512, 16, generator=gen)
    t = sample_t(Training(batch_size=512), net.sde, gen)
    ref_loss, ref = gradients(net, field_loss_and_grad, u, t, z)
    loss, got = gradients(net, field_loss_and_grad, u, t, z, backward=torch.bfloat16, gen=torch.Generator().manual_seed(0))
    assert loss.item() == ref_loss.item()
    for name in ref:
        assert got[name].dtype == torch.float32, name
        err = ((got[name] - ref[name]).norm() / ref[name].norm()).item()
        assert err < 8 * 2.0**-8, (name, err)
        if not name.startswith("out."):
            assert err > 1e-4, (name, err)


def test_training_takes_the_gradient_by_hand(monkeypatch):
    """The field family trains through loss_and_grad, once a step, and ends where autograd's loop
    ends up to float32 rounding."""
    assert FAMILIES["field"].loss_and_grad is field_loss_and_grad
    data = np.random.default_rng(0).standard_normal((4096, 8)) * np.tile([1.0, 0.5], 4)
    cfg = Training(channels=(8, 8), reach=1, embed_dim=16, batch_size=128, levels=8, steps=30, warmup=5, log_every=10)
    assert_trains_like_autograd(monkeypatch, "field", data, cfg)
