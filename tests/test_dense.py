"""The float32 products of the training steps by hand and of the networks' forward passes without a
graph (cldm.dm.dense): oneDNN's inner product where PyTorch has it, addmm elsewhere, the same numbers
either way up to float32 rounding."""

import pytest
import torch

import cldm.dm.dense as dense
from cldm.dm.backprop import dsm_loss_and_grad
from cldm.dm.conditioned_backprop import conditioned_loss_and_grad
from cldm.dm.model import ScoreNet
from cldm.dm.sde import VESDE
from helpers import gradients

needs_onednn = pytest.mark.skipif(dense._ONEDNN is None, reason="PyTorch built without oneDNN")


def _operands(rows=4096, inner=64, out=64, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(rows, inner, generator=g).to(dtype), torch.randn(out, inner, generator=g).to(dtype),
            torch.randn(out, generator=g).to(dtype))


@pytest.mark.parametrize("rows,inner,out", [(4096, 64, 64), (2048, 64, 64), (4096, 64, 2), (7, 3, 5)])
def test_the_products_are_addmms_up_to_float32_rounding(rows, inner, out):
    x, w, b = _operands(rows, inner, out)
    d = _operands(rows, out, inner, seed=1)[0]
    exact = x.double() @ w.double().T + b.double()
    for got, want in ((dense.linear(x, w, b), exact), (dense.linear(x, w), exact - b.double()),
                      (dense.times(d[:, :out], w), d[:, :out].double() @ w.double())):
        assert got.dtype == torch.float32 and got.shape == want.shape
        assert (got.double() - want).abs().max() <= 1e-5 * want.abs().max()


@needs_onednn
def test_float32_products_without_a_graph_run_by_onednn():
    x, w, b = _operands()
    assert dense.onednn(x, w)
    assert not dense.onednn(x.bfloat16(), w.bfloat16())  # bfloat16: addmm's own kernels
    assert not dense.onednn(x.double(), w.double())
    w.requires_grad_(True)
    assert not dense.onednn(x, w)  # a graph asked for: addmm, which autograd differentiates
    dense.linear(x, w, b).sum().backward()
    assert torch.allclose(w.grad.double(), x.double().sum(0).expand_as(w), atol=1e-3)
    with torch.no_grad():
        assert dense.onednn(x, w)


def _counting(monkeypatch):
    calls = []

    def counted(*args):
        calls.append(args[0].shape)
        return dense.torch.ops.mkldnn._linear_pointwise(*args)

    monkeypatch.setattr(dense, "_ONEDNN", counted)
    return calls


def _score_step(monkeypatch, fast: bool):
    torch.manual_seed(0)
    net = ScoreNet(VESDE(25.0), torch.zeros(2), torch.eye(2), (64, 64, 64), 16)
    u, noise = torch.randn(4096, 2), torch.randn(4096, 2)
    t = torch.rand(64) * 0.9 + 0.05
    calls = _counting(monkeypatch) if fast else monkeypatch.setattr(dense, "_ONEDNN", None)
    return gradients(net, dsm_loss_and_grad, u, t, noise, torch.float32), calls


def _conditioned_step(monkeypatch, fast: bool):
    from test_conditioned_backprop import _net, _rows

    net = _net((64, 64, 64), dtype=torch.float32)
    gen = torch.Generator().manual_seed(1)
    x = _rows(net, 4096, 7, 64, gen, torch.float32)
    t, noise = torch.rand(64, generator=gen) * 0.9 + 0.05, torch.randn(4096, 2, generator=gen)
    calls = _counting(monkeypatch) if fast else monkeypatch.setattr(dense, "_ONEDNN", None)
    return gradients(net, conditioned_loss_and_grad, x, t, noise, torch.float32), calls


@needs_onednn
@pytest.mark.parametrize("step", [_score_step, _conditioned_step])
def test_the_steps_by_hand_take_their_float32_products_from_onednn_with_addmms_numbers(monkeypatch, step):
    """Each hidden layer's forward product and each delta's product with a weight (float32 backward)
    goes through oneDNN, and the loss and gradients are those of the step with addmm everywhere, up
    to float32 rounding of sums over 4096 rows."""
    (loss, grads), calls = step(monkeypatch, True)
    (ref_loss, ref), _ = step(monkeypatch, False)
    assert len(calls) >= 3, calls  # the hidden layers' forward products, and deltas
    assert abs(loss.item() - ref_loss.item()) <= 1e-6 * abs(ref_loss.item())
    for name in ref:
        scale = ref[name].abs().max().item()
        assert (grads[name] - ref[name]).abs().max().item() <= 1e-4 * scale, name


@needs_onednn
@pytest.mark.parametrize("kind", ["score", "conditioned"])
def test_the_networks_evaluate_by_onednn_without_a_graph_and_by_addmm_with_one(monkeypatch, kind):
    """What the samplers call (a forward pass without a graph) runs its hidden layers by oneDNN with
    addmm's numbers; with a graph (autograd's training, the energy model's score) by addmm, so that
    it still differentiates."""
    if kind == "score":
        torch.manual_seed(0)
        net, u = ScoreNet(VESDE(25.0), torch.zeros(2), torch.eye(2), (64, 64, 64), 16), torch.randn(4096, 2)
        args = ()
    else:
        from test_conditioned_backprop import _net

        net, u = _net((64, 64, 64), dtype=torch.float32), torch.randn(4096, 2)
        args = (torch.full((1, 1), 0.3),)
    t = torch.tensor(0.3)
    with torch.no_grad():
        calls = _counting(monkeypatch)
        fast = net(u, t, *args)
        assert calls, "no product by oneDNN"
        monkeypatch.setattr(dense, "_ONEDNN", None)
        ref = net(u, t, *args)
    assert (fast - ref).abs().max() <= 1e-5 * ref.abs().max()
    calls = _counting(monkeypatch)
    net(u, t, *args).square().sum().backward()
    assert not calls and all(p.grad is not None for p in net.parameters() if p.requires_grad)


@needs_onednn
def test_the_field_network_keeps_addmm(monkeypatch):
    """Its products at 64 channels (5 x 64 inputs) round differently by oneDNN, and the quartic
    chain's numbers of record would be a new draw (docs/accuracy.md): its step and forward pass
    keep addmm."""
    from cldm.dm.field_backprop import field_loss_and_grad
    from test_field_backprop import _net

    net = _net((64, 64, 64), 2, dtype=torch.float32)
    gen = torch.Generator().manual_seed(2)
    u, noise = torch.randn(512, 16, generator=gen), torch.randn(512, 16, generator=gen)
    calls = _counting(monkeypatch)
    gradients(net, field_loss_and_grad, u, torch.rand(8, generator=gen) * 0.9 + 0.05, noise, torch.float32)
    with torch.no_grad():
        net(u, torch.tensor(0.3))
    assert not calls
