"""The conditioned score network's (`cldm.dm.conditioned.ConditionedScoreNet`) training step by
hand: its denoising score-matching loss and the gradient with respect to the weights without
autograd's graph over the batch, as `cldm.dm.backprop` is the per-point model's, and the order of
an epoch's rows that it needs (`benchmarks/scan_cost.py` measures the two models' steps side by
side; the same numbers as autograd up to float32 rounding, `tests/test_conditioned_backprop.py`).

Blocks: a batch is m blocks of n consecutive rows, each block one noise level sigma_b (as for every
model here, `cldm.dm.train.sample_t`) and, in the order `BlockOrder` gives an epoch, one parameter
value p~_b. Everything that depends on p~ is then computed once per block, as the time embedding
is: the embedding c_b = E(p~_b), each hidden layer's FiLM scale and shift (gamma_lb, beta_lb) and
the whitening factor C_b of S(p~_b) + sigma_b^2 (m rows: c = SiLU(W_2 SiLU(W_1 p~ + b_1) + b_2),
(gamma, beta) and g = (ln L_00, L_10, ln L_11) linear in c (and p~), C from g and sigma as in
`ConditionedScoreNet._cholesky`). The per-row part, ConditionedScoreNet.forward with x = u + sigma z,

    v = C^-1 x,   a_1 = W_u (v, v^3 / 3) + W_e e(sigma) + b_1,   a_l = W_l h_{l-1} + b_l,
    h_l = phi(a_l (1 + gamma_l) + beta_l),   F = W_o h_L + b_o,   s = C^-T (F / sigma - v),
    L = (1/N) sum_rows |sigma s + z|^2,

is differentiated by hand: dL/ds = 2 sigma (sigma s + z) / N, back through C^-T (to F, v and C),
the layers (delta_l = phi'(.) * dL/dh_l; dL/da_l = delta_l (1 + gamma_l); dL/dgamma_lb and
dL/dbeta_lb the sums of delta_l a_l and delta_l over block b's rows), the features (dL/dv =
W_u^T dL/da_1 term by term, the cubes' part times v^2) and C^-1 (to C), the per-row
terms summed over each block, then back through the per-block terms to their weights. The hidden
layers' backward products run in `backward`'s precision as in `cldm.dm.backprop` (the scan sets
float32: in bfloat16 its tails came out worse, docs/scans.md), the float32 ones (the forward
pass's, the deltas') by oneDNN (`cldm.dm.dense`). Per row (gathers and scatters of each row's
value) the step cost 1.7x more, with autograd for the per-block terms 1.2x more.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cldm import CldmError
from cldm.dm.backprop import Levels, backward_weights, levels
from cldm.dm.conditioned import ConditionedScoreNet, add_features_grad, features
from cldm.dm.dense import linear, times


def distinct_rows(p: torch.Tensor) -> torch.Tensor:
    """Each row's index among the distinct rows of p (N, m), in the order of their first sort: by a
    1-D unique of each column combined into one integer key per row (torch.unique(p, dim=0) costs
    11 ms on 4096 rows, this 0.04 ms)."""
    key = torch.zeros(len(p), dtype=torch.long, device=p.device)
    for column in p.T:
        levels_j, index_j = torch.unique(column, return_inverse=True)
        key = key * len(levels_j) + index_j
    return torch.unique(key, return_inverse=True)[1]


class BlockOrder:
    """Epoch orders of the training rows (u, p~) (the first `dim` columns u) in which each run of
    `block` consecutive rows shares one parameter value: each value's rows in random order, cut
    into whole blocks, the blocks of all values in random order. A block is value k's with
    probability proportional to its rows, and its rows are a uniform draw of them, so the loss of a
    batch is an unbiased estimate of the one of rows in random order. A value's last rows (fewer
    than `block`, other ones each epoch) sit the epoch out. The rows of each value are found once;
    an epoch costs a permutation of each value's rows and one of the blocks."""

    def __init__(self, rows: torch.Tensor, dim: int):
        idx = distinct_rows(rows[:, dim:])
        by_value = torch.sort(idx, stable=True).indices
        self.groups = by_value.split(torch.bincount(idx).tolist())

    def rows(self, block: int) -> int:
        """How many rows an epoch visits: each value's whole blocks."""
        return sum(len(g) // block * block for g in self.groups)

    def __call__(self, block: int, gen: torch.Generator) -> torch.Tensor:
        blocks = torch.cat([g[torch.randperm(len(g), generator=gen)[: len(g) // block * block]].view(-1, block)
                            for g in self.groups])
        return blocks[torch.randperm(len(blocks), generator=gen)].reshape(-1)


def conditioned_loss_and_grad(model: ConditionedScoreNet, rows: torch.Tensor, t: torch.Tensor | Levels,
                              noise: torch.Tensor, backward: torch.dtype | None = None,
                              gen: torch.Generator | None = None) -> torch.Tensor:
    """`cldm.dm.conditioned.conditioned_dsm_loss(model, rows, t, noise)` (detached), with dL/dtheta
    written to each parameter's .grad (replacing what was there). rows (u, p~) as the loss takes
    them, the rows of each block (one per time of t) sharing p~ (`BlockOrder`); t the times, or
    their `levels`; `backward` and `gen` as for `cldm.dm.backprop.dsm_loss_and_grad` (the precision
    of the hidden layers' backward products, the stream of the weights' stochastic rounding).
    Raises CldmError if a block's rows hold more than one parameter value."""
    slope, dim = model.act.negative_slope, model.dim
    with torch.no_grad():
        lv = t if isinstance(t, Levels) else levels(model, t.to(rows.device))
        sigma, e = lv.sigma, lv.e  # (m, 1, 1), (m, embed_dim)
        m, rows_n = e.shape[0], len(rows)
        p = rows[:, dim:].view(m, -1, rows.shape[1] - dim)
        values = p[:, 0]
        if not torch.equal(p, values[:, None].expand_as(p)):
            raise CldmError("the rows of a block (one noise level) hold several parameter values: order the "
                            "epoch's rows by cldm.dm.conditioned_backprop.BlockOrder")
        # the per-block terms (m rows): the parameters' embedding c, the FiLM maps, C
        lin1, _, lin2, _ = model.cond  # Linear, SiLU, Linear, SiLU
        a1 = torch.addmm(lin1.bias, values, lin1.weight.T)
        c1 = F.silu(a1)
        a2 = torch.addmm(lin2.bias, c1, lin2.weight.T)
        c = F.silu(a2)
        films = [torch.addmm(f.bias, c, f.weight.T) for f in model.film]
        cp = torch.cat([c, values], dim=-1)
        g = torch.addmm(model.gauss.bias, cp, model.gauss.weight.T)
        c00, c10, c11 = model._cholesky(g, sigma, (m, 1))  # each (m, 1)
        scales, shifts = zip(*((1 + gam[:, None, :], bet[:, None, :]) for gam, bet in (f.chunk(2, dim=-1) for f in films)))
        z = noise[:, :dim].view(m, -1, dim)
        x = torch.addcmul(rows[:, :dim].view(m, -1, dim), sigma, z)
        v0 = x[..., 0] / c00
        v1 = (x[..., 1] - c10 * v0) / c11
        v = torch.stack([v0, v1], dim=-1)
        first, *rest = model.layers
        w_u, w_e = first.weight.split([model.inputs, first.in_features - model.inputs], dim=1)
        fv = features(v)
        pre = [torch.baddbmm(torch.addmm(first.bias, e, w_e.T)[:, None, :], fv, w_u.T.expand(m, -1, -1))]
        hs = []
        for i, layer in enumerate(model.layers):
            if i:
                pre.append(linear(hs[-1].view(rows_n, -1), layer.weight, layer.bias).view(m, -1, layer.out_features))
            hs.append(F.leaky_relu(torch.addcmul(shifts[i], pre[-1], scales[i]), slope, inplace=True))
        f = torch.addmm(model.out.bias, hs[-1].view(rows_n, -1), model.out.weight.T).view(m, -1, dim)
        r = f / sigma - v
        s1 = r[..., 1] / c11
        s0 = (r[..., 0] - c10 * s1) / c00
        res = torch.stack([s0, s1], dim=-1).mul_(sigma).add_(z)  # sigma s + z
        loss = torch.dot(res.view(-1), res.view(-1)) / rows_n
        ds = res.mul_(sigma * (2 / rows_n))
        # back through s = C^-T r: to r and C
        dr0 = ds[..., 0] / c00
        ds1 = ds[..., 1] - dr0 * c10
        d00, d10 = -dr0 * s0, -dr0 * s1
        dr1 = ds1 / c11
        d11 = -dr1 * s1
        df = torch.stack([dr0, dr1], dim=-1)
        dv = -df
        df = df.div_(sigma).view(rows_n, dim)
        grads = {model.out.weight: df.T @ hs[-1].view(rows_n, -1), model.out.bias: df.sum(0)}
        own, low = df.dtype, backward or df.dtype
        backs = [model.out.weight, *(layer.weight for layer in reversed(rest))]  # the order of their use
        backs = backward_weights(backs, low, gen)
        hs_low = [h.to(low) for h in hs]  # .to(own dtype) is the tensor itself: no copy
        dfilm = []
        delta = times(df.to(low), backs[0])
        for i in reversed(range(len(model.layers))):
            dh = torch.ops.aten.leaky_relu_backward(delta.view_as(hs[i]), hs_low[i], slope, True)
            dfilm.append(torch.cat([(dh * pre[i]).sum(1), dh.sum(1, dtype=own)], dim=-1))
            da = dh.mul_(scales[i].to(low)).view(rows_n, -1)
            if i:
                grads[model.layers[i].weight] = (da.T @ hs_low[i - 1].view(rows_n, -1)).to(own)
                grads[model.layers[i].bias] = da.sum(0, dtype=own)
                delta = times(da, backs[len(model.layers) - i])
        da = da.to(own)
        per_level = da.view(m, -1, da.shape[-1]).sum(1)
        grads[first.weight] = torch.cat([(fv.view(rows_n, model.inputs).T @ da).T, per_level.T @ e], dim=1)  # 8x faster than da.T @ v
        grads[first.bias] = per_level.sum(0)
        add_features_grad(dv, v, (da @ w_u).view(m, -1, model.inputs))
        # back through v = C^-1 x: to C
        d11.sub_(dv[..., 1] * v1 / c11)
        dv0 = dv[..., 0] - dv[..., 1] * c10 / c11
        d10.sub_(dv[..., 1] * v0 / c11)
        d00.sub_(dv0 * v0 / c00)
        # the per-block terms: C_00 = sqrt(L_00^2 + s^2), C_10 = L_00 L_10 / C_00,
        # C_11 = sqrt(L_10^2 + L_11^2 + s^2 - C_10^2), L_00 = exp g_0, L_10 = g_1, L_11 = exp g_2
        d00, d10, d11 = (d.sum(1, keepdim=True) for d in (d00, d10, d11))
        l00, l10, l11 = g[:, :1].exp(), g[:, 1:2], g[:, 2:].exp()
        q = d11 / c11
        d10 = d10 - c10 * q
        d00 = d00 - c10 / c00 * d10
        dg = torch.cat([(l10 * d10 + l00 * d00) / c00 * l00, l10 * q + l00 / c00 * d10, l11 * q * l11], dim=1)
        grads[model.gauss.weight], grads[model.gauss.bias] = dg.T @ cp, dg.sum(0)
        dc = dg @ model.gauss.weight[:, : c.shape[1]]
        for f, d in zip(model.film, reversed(dfilm)):
            grads[f.weight], grads[f.bias] = d.T @ c, d.sum(0)
            dc.addmm_(d, f.weight)
        da2 = torch.ops.aten.silu_backward(dc, a2)
        grads[lin2.weight], grads[lin2.bias] = da2.T @ c1, da2.sum(0)
        da1 = torch.ops.aten.silu_backward(da2 @ lin2.weight, a1)
        grads[lin1.weight], grads[lin1.bias] = da1.T @ values, da1.sum(0)
    for q, grad in grads.items():
        q.grad = grad
    return loss
