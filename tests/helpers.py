"""Shared test helpers."""

import numpy as np
import torch


def pull_report(rows: list[tuple]) -> str:
    """Rows (name, value, exact, error) as text, for assertion messages."""
    return "\n".join(f"{name}: {v:.6f} vs {e:.6f} +- {s:.6f} (pull {(v - e) / s:+.2f})" for name, v, e, s in rows)


def covariance_rows(x: np.ndarray, cov: np.ndarray, label: str) -> list[tuple]:
    """Sample second moments of rows x (mean 0) against the covariance `cov`, with their errors:
    Var(x_i x_j) = C_ii C_jj + C_ij^2 for Gaussian x."""
    n = len(x)
    return [(f"{label} C[{i}{j}]", np.mean(x[:, i] * x[:, j]), cov[i, j],
             np.sqrt((cov[i, i] * cov[j, j] + cov[i, j] ** 2) / n)) for i, j in [(0, 0), (1, 1), (0, 1)]]


def gradients(net, loss_fn, *args, **kw) -> tuple:
    """(loss, {parameter name: gradient}) of loss_fn(net, *args, **kw): by autograd where the loss
    it returns has a graph, else as a training step by hand wrote them to .grad (stale gradients of
    7 put there first: a step by hand must replace them, not add to them)."""
    for p in net.parameters():
        p.grad = torch.full_like(p, 7.0)
    loss = loss_fn(net, *args, **kw)
    if loss.requires_grad:
        net.zero_grad(set_to_none=True)
        loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in net.named_parameters()}


def assert_by_hand_is_autograds(net, loss_fn, by_hand, *args) -> None:
    """A step by hand (`by_hand`, no graph) against autograd on `loss_fn`, both at net and args, in
    float64: the loss to 1e-12 and every parameter's gradient (each nonzero, so that every term is
    checked) to 1e-10 of its largest entry: agreement to rounding."""
    ref_loss, ref = gradients(net, loss_fn, *args)
    loss, got = gradients(net, by_hand, *args)
    assert not loss.requires_grad
    assert abs(loss.item() - ref_loss.item()) <= 1e-12 * abs(ref_loss.item())
    assert got.keys() == ref.keys()
    for name in ref:
        scale = ref[name].abs().max().item()
        assert scale > 0, name
        assert (got[name] - ref[name]).abs().max().item() <= 1e-10 * scale, name


def assert_trains_like_autograd(monkeypatch, family: str, data, cfg) -> None:
    """Training a family whose gradient is by hand (its loss_and_grad) goes through loss_and_grad,
    once a step with the precision asked for, and ends where the loop with autograd ends (the same
    family with loss_and_grad None), up to float32 rounding, after cfg.steps steps on `data`."""
    import dataclasses

    from cldm.dm.families import FAMILIES
    from cldm.dm.train import train

    kind, calls = FAMILIES[family], []

    def counted(*args, **kw):
        calls.append(kw["backward"])
        return kind.loss_and_grad(*args, **kw)

    monkeypatch.setitem(FAMILIES, family, dataclasses.replace(kind, loss_and_grad=counted))
    fast = train(data, data[:512], dataclasses.replace(cfg, backward="float32"), seed=3, family=family).model
    assert calls == [torch.float32] * cfg.steps  # autograd's arithmetic
    monkeypatch.setitem(FAMILIES, family, dataclasses.replace(kind, loss_and_grad=None))
    slow = train(data, data[:512], cfg, seed=3, family=family).model
    assert len(calls) == cfg.steps
    for (name, a), b in zip(fast.state_dict().items(), slow.state_dict().values()):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-5), name

