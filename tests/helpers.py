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


def assert_gradients_agree(loss, got: dict, ref_loss, ref: dict) -> None:
    """A step by hand against autograd in float64: the loss to 1e-12 and every parameter's gradient
    (each nonzero, so that every term is checked) to 1e-10 of its largest entry: agreement to rounding."""
    assert abs(loss.item() - ref_loss.item()) <= 1e-12 * abs(ref_loss.item())
    assert got.keys() == ref.keys()
    for name in ref:
        scale = ref[name].abs().max().item()
        assert scale > 0, name
        assert (got[name] - ref[name]).abs().max().item() <= 1e-10 * scale, name

