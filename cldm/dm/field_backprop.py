"""The field score network's (`cldm.dm.field_model.FieldScoreNet`) denoising score-matching loss
and its gradient with respect to the weights, by hand: a chain point's training step without
autograd's graph, as `cldm.dm.backprop` is the one-variable model's (`benchmarks/field_speed.py`
measures the two ways side by side; the same numbers as autograd up to float32 rounding,
`tests/test_field_backprop.py`).

With x = u + sigma z (one level sigma per block of rows; rows of L sites' (x, y)), c =
sqrt(1 + sigma^2), h_0 = x / c and the periodic convolutions

    a_l = N(h_{l-1}) W_l^T + b_l + B_l e(sigma),   h_l = SiLU(a_l),   F = N(h_K) W_o^T + b_o,

N(h) the neighbours (h_{x+d}, d = -p..p, stacked along the channels, periodic in the site x),
the score is s = -x / c^2 + F / (sigma c) and `cldm.dm.families.dsm_loss`

    L = (1/N) sum_rows |sigma s + z|^2,   so   dL/dF = 2 r / (N c),   r = sigma s + z.

Backpropagation: dL/dW_l = delta_l^T N(h_{l-1}), dL/db_l the sum of delta_l over rows and sites,
dL/dB_l its sum over each block's rows against e(sigma), delta_l = SiLU'(a_l) * dL/dh_l, and
dL/dh_{l-1} = N^T(delta_l W_l), N^T the adjoint of N (each channel block rolled back by its d and
summed). The backward pass's products run in `backward`'s precision as in `cldm.dm.backprop`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cldm.dm.backprop import Levels, backward_weights, levels
from cldm.dm.field_model import FieldScoreNet


def neighbours_adjoint(g: torch.Tensor, reach: int) -> torch.Tensor:
    """N^T g: the adjoint of `FieldScoreNet._neighbours` ((..., L, (2 reach + 1) C) -> (..., L, C)):
    the channel block of shift d added at the sites x + d of the periodically padded field, whose
    padding then wraps around."""
    sites, k = g.shape[-2], 2 * reach + 1
    parts = g.reshape(*g.shape[:-1], k, -1)
    padded = parts.new_zeros(*g.shape[:-2], sites + 2 * reach, parts.shape[-1])
    for j in range(k):
        padded[..., j : j + sites, :] += parts[..., j, :]
    out = padded[..., reach : reach + sites, :]
    if reach:
        out[..., :reach, :] += padded[..., sites + reach :, :]
        out[..., sites - reach :, :] += padded[..., :reach, :]
    return out


def field_loss_and_grad(model: FieldScoreNet, u: torch.Tensor, t: torch.Tensor | Levels, noise: torch.Tensor,
                        backward: torch.dtype | None = None, gen: torch.Generator | None = None) -> torch.Tensor:
    """dsm_loss(model, u, t, noise) (detached), with dL/dtheta written to each parameter's .grad
    (replacing what was there). u: whitened fields (N, 2 L); t one time per block of consecutive
    rows, or their `levels`; `backward` and `gen` as for `cldm.dm.backprop.dsm_loss_and_grad` (the
    precision of the backward products, the stream of the weights' stochastic rounding)."""
    with torch.no_grad():
        lv = t if isinstance(t, Levels) else levels(model, t.to(u.device))
        e = lv.e
        m, (rows_n, width) = e.shape[0], u.shape
        sites = width // 2
        sigma, inv_c = lv.sigma.view(m, 1, 1, 1), lv.inv_c.view(m, 1, 1, 1)
        z = noise.view(m, -1, sites, 2)
        x = torch.addcmul(u.view(m, -1, sites, 2), sigma, z)
        h = x * inv_c
        biases = F.linear(e, model.time.weight, model.time.bias).split(model.channels, dim=-1)
        ins, pres = [], []
        for conv, bias in zip(model.convs, biases):
            nb = model._neighbours(h)
            a = torch.addmm(conv.bias, nb.view(-1, nb.shape[-1]), conv.weight.T).view(m, -1, sites, conv.out_features)
            a.add_(bias[:, None, None, :])
            ins.append(nb)
            pres.append(a)
            h = F.silu(a)
        nb = model._neighbours(h)
        f = torch.addmm(model.out.bias, nb.view(-1, nb.shape[-1]), model.out.weight.T).view(m, -1, sites, 2)
        r = torch.addcmul(torch.addcmul(z, x, sigma * inv_c**2, value=-1), f, inv_c)  # sigma s + z
        loss = torch.dot(r.view(-1), r.view(-1)) / rows_n
        df = r.mul_(inv_c * (2 / rows_n)).view(-1, 2)
        flat = nb.view(-1, nb.shape[-1])
        grads = {model.out.weight: df.T @ flat, model.out.bias: df.sum(0)}
        own, low = df.dtype, backward or df.dtype  # .to(own dtype) is the tensor itself: no copy
        backs = [model.out.weight, *(conv.weight for conv in reversed(model.convs[1:]))]  # the order of their use
        backs = backward_weights(backs, low, gen)
        g = df.to(low) @ backs[0]
        dbiases = []
        for i in reversed(range(len(model.convs))):
            conv = model.convs[i]
            dh = neighbours_adjoint(g.view(m, -1, sites, g.shape[-1]), model.reach).to(own)
            delta = torch.ops.aten.silu_backward(dh, pres[i]).view(-1, conv.out_features)
            dbiases.append(delta.view(m, -1, conv.out_features).sum(1))
            grads[conv.bias] = delta.sum(0)
            if i:
                delta_low = delta.to(low)
                grads[conv.weight] = (delta_low.T @ ins[i].view(-1, ins[i].shape[-1]).to(low)).to(own)
                g = delta_low @ backs[len(model.convs) - i]
            else:
                grads[conv.weight] = (ins[0].view(-1, ins[0].shape[-1]).T @ delta).T.contiguous()  # 8x faster than delta.T @ ins
        dbias = torch.cat(dbiases[::-1], dim=-1)
        grads[model.time.weight], grads[model.time.bias] = dbias.T @ e, dbias.sum(0)
    for p, grad in grads.items():
        p.grad = grad
    return loss
