"""The denoising score-matching loss of the score MLP (`cldm.dm.model.ScoreNet`) and its gradient
with respect to the weights, by hand: the training step of the default models without autograd's
graph (`benchmarks/train_speed.py` measures the gain, side by side with autograd; the same numbers up to
float32 rounding, `tests/test_backprop.py`).

With x = u + sigma z (one level sigma per block of rows), c = sqrt(1 + sigma^2), v = x / c and the
MLP a_1 = W_u v + W_e e(sigma) + b_1, h_k = phi(a_k), a_{k+1} = W_{k+1} h_k + b_{k+1},
F = W_o h_K + b_o (phi the LeakyReLU), ScoreNet's score is s = -x / c^2 + F / (sigma c), and
`cldm.dm.families.dsm_loss` is

    L = (1/N) sum_rows |sigma s + z|^2,   so   dL/dF = 2 r / (N c),   r = sigma s + z,

and backpropagation through the layers: dL/dW_k = delta_k^T h_{k-1}, dL/db_k = sum_rows delta_k,
delta_k = phi'(a_k) * (W_{k+1}^T delta_{k+1}) (phi' read from h_k = phi(a_k): phi is monotone), and
the embedding's part summed over each block's rows before its product with e(sigma). Each
activation is computed in place and kept for the backward pass; no graph is recorded. The hidden
layers' float32 products run by oneDNN (`cldm.dm.dense`: 2x MKL's on this CPU, the same bits).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from cldm.dm.dense import linear, times
from cldm.dm.model import ScoreNet


@dataclass(frozen=True)
class Levels:
    """The per-level terms of the loss for a batch's times t (shape (..., m), one per block of rows):
    sigma = sigma(t) and 1/c = 1/sqrt(1 + sigma^2), shape (..., m, 1, 1), and the embedding e(sigma),
    shape (..., m, embed_dim). Computed for many steps at once (`EpochLevels`) and indexed by step,
    they cost a step no small operations of its own (140 us a step of 2450 when computed per step)."""

    sigma: torch.Tensor
    inv_c: torch.Tensor
    e: torch.Tensor

    def __getitem__(self, step: int) -> Levels:
        """The terms of one step, of terms for times of shape (steps, m)."""
        return Levels(self.sigma[step], self.inv_c[step], self.e[step])


def levels(model: ScoreNet, t: torch.Tensor) -> Levels:
    """`Levels` of the times t (shape (m,), or (steps, m) for many steps at once)."""
    sigma = model.sde.sigma(t)
    e = model.embed(torch.log(sigma.reshape(-1)) / 4).reshape(*t.shape, -1)
    return Levels(sigma[..., None, None], torch.rsqrt(1 + sigma**2)[..., None, None], e)


class EpochLevels:
    """The `Levels` of an epoch's times (shape (steps, m)), indexed by step: computed `chunk` steps
    at a time as the loop reaches them, so that at most chunk x m x embed_dim floats are held
    (8 MB at the defaults), whatever the epoch's length."""

    def __init__(self, model: ScoreNet, times: torch.Tensor, chunk: int = 256):
        self.model, self.times, self.chunk = model, times, chunk
        self.start, self.terms = -chunk, None

    def __getitem__(self, step: int) -> Levels:
        if not self.start <= step < self.start + self.chunk:
            self.start = step - step % self.chunk
            self.terms = levels(self.model, self.times[self.start : self.start + self.chunk])
        return self.terms[step - self.start]


def stochastic_bfloat16(ws: list[torch.Tensor], gen: torch.Generator | None) -> list[torch.Tensor]:
    """Each float32 tensor of ws rounded to bfloat16 up or down at random, up with probability the
    fraction of the step between the two that the value has passed: E[result] = value (stochastic
    rounding, Gupta et al. 2015, arXiv 1502.02551). A random 16-bit integer added to the bit
    pattern, then the low 16 bits cut: for either sign the magnitude rounds up exactly when the
    added number carries into bit 16. All tensors at once (one draw of their total size, in order)."""
    flat = torch.cat([w.reshape(-1) for w in ws])
    bits = flat.view(torch.int32).add_(torch.randint(0, 1 << 16, flat.shape, generator=gen, dtype=torch.int32))
    rounded = bits.bitwise_and_(-(1 << 16)).view(torch.float32).to(torch.bfloat16)
    return [r.view(w.shape) for r, w in zip(rounded.split([w.numel() for w in ws]), ws)]


def backward_weights(ws: list[torch.Tensor], low: torch.dtype, gen: torch.Generator | None) -> list[torch.Tensor]:
    """The weights ws as the backward pass's products use them, in precision `low`: rounded to
    bfloat16 stochastically (`stochastic_bfloat16`, with `gen`) where low is bfloat16 and they are
    not, else converted (to their own dtype: the tensors themselves, no copy). The gradients by
    hand of every network (`dsm_loss_and_grad`, `cldm.dm.field_backprop`,
    `cldm.dm.conditioned_backprop`) take their weights from here."""
    if low == torch.bfloat16 and any(w.dtype != low for w in ws):
        return stochastic_bfloat16(ws, gen)
    return [w.to(low) for w in ws]


def dsm_loss_and_grad(model: ScoreNet, u: torch.Tensor, t: torch.Tensor | Levels, noise: torch.Tensor,
                      backward: torch.dtype | None = None, gen: torch.Generator | None = None) -> torch.Tensor:
    """dsm_loss(model, u, t, noise) (detached), with dL/dtheta written to each parameter's .grad
    (replacing what was there). t holds one time per block of consecutive rows of u, as for dsm_loss,
    or is their `levels`. For ScoreNet with its LeakyReLU only (the family "score"); other networks
    train by autograd.

    `backward`: the precision of the backward pass's products (None: the model's own). The loss
    and the forward pass stay in the model's precision, so the function trained is the one the
    samplers evaluate; in bfloat16 (8 bits of mantissa, products accumulated in float32 and rounded)
    the gradient carries a relative rounding error of ~3e-3 (`tests/test_backprop.py`), far below
    the batch's own sampling noise, and the four hidden-layer products of the backward pass run ~3x
    faster on a CPU with native bfloat16 (AVX512-BF16, AMX), as in mixed-precision training on GPUs
    (Micikevicius et al. 2018, arXiv 1710.03740, there with the forward in half precision too).
    The activations and deltas are rounded to the nearest (their errors change from row to row and
    average out in the sums over rows); the weights, the same for every row, are rounded
    stochastically with `gen` (`stochastic_bfloat16`): rounded to the nearest, a weight's error
    stays the same for the thousands of steps in which it moves by less than bfloat16's spacing,
    and biased the trained models (their tails moved out by +0.0003 in Re<z^8>/8 at sigma = 2 + i
    in paired trainings, docs/accuracy.md). The weight gradients are returned in the model's precision."""
    if type(model.act) is not nn.LeakyReLU:
        raise TypeError(f"dsm_loss_and_grad differentiates LeakyReLU networks, not {type(model.act).__name__}")
    slope = model.act.negative_slope
    with torch.no_grad():
        lv = t if isinstance(t, Levels) else levels(model, t.to(u.device))
        sigma, inv_c, e = lv.sigma, lv.inv_c, lv.e
        m, (rows, dim) = e.shape[0], u.shape
        z = noise.view(m, -1, dim)
        x = torch.addcmul(u.view(m, -1, dim), sigma, z)
        v = x * inv_c
        first, *rest = model.layers
        w_u, w_e = first.weight.split([dim, first.in_features - dim], dim=1)
        a = torch.baddbmm(torch.addmm(first.bias, e, w_e.T)[:, None, :], v, w_u.T.expand(m, -1, -1))
        hs = [torch.nn.functional.leaky_relu(a.view(rows, -1), slope, inplace=True)]
        for layer in rest:
            hs.append(torch.nn.functional.leaky_relu(linear(hs[-1], layer.weight, layer.bias), slope, inplace=True))
        f = torch.addmm(model.out.bias[:, None], model.out.weight, hs[-1].T).T.reshape(m, -1, dim)  # 1.6x h W^T
        r = torch.addcmul(z, torch.addcmul(f, sigma, v, value=-1), inv_c)  # sigma s + z = z + (f - sigma v) / c
        loss = torch.dot(r.view(-1), r.view(-1)) / rows
        delta = (r * inv_c).view(rows, dim).mul_(2 / rows)
        grads = {model.out.weight: delta.T @ hs[-1], model.out.bias: delta.sum(0)}
        own, low = delta.dtype, backward or delta.dtype  # .to(own dtype) is the tensor itself: no copy
        hs, delta = [h.to(low) for h in hs], delta.to(low)
        backs = [model.out.weight, *(layer.weight for layer in reversed(rest))]  # the order of their use
        backs = backward_weights(backs, low, gen)
        for layer, h, below, back in zip(reversed(rest), reversed(hs[1:]), reversed(hs[:-1]), backs):
            delta = torch.ops.aten.leaky_relu_backward(times(delta, back), h, slope, True)
            grads[layer.weight], grads[layer.bias] = (delta.T @ below).to(own), delta.sum(0, dtype=own)
        delta = torch.ops.aten.leaky_relu_backward(times(delta, backs[-1]), hs[0], slope, True).to(own)
        per_level = delta.view(m, -1, delta.shape[-1]).sum(1)
        grads[first.weight] = torch.cat([(v.view(rows, dim).T @ delta).T, per_level.T @ e], dim=1)
        grads[first.bias] = per_level.sum(0)
    for p, g in grads.items():
        p.grad = g
    return loss
