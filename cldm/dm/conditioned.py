"""The conditioned score network s_theta(x, y, t | p): one model for a range of model parameters p
(a scan's varying A, B, lam), FiLM-conditioned on p in every hidden layer.

Training rows are (x, y, p_1, ..., p_m): the CL samples of every training value with that value's
parameters as extra columns. The model whitens (x, y) with one global mean and covariance (of the
union of the training values' samples: per-value statistics are unknown at a value it never saw)
and maps each p_j affinely onto [-1, 1] over its training range. `at(p)` is the model at fixed
parameters with the interface of `cldm.dm.model.ScoreNet`, which the samplers use.

FiLM: Perez et al., "FiLM: Visual Reasoning with a General Conditioning Layer", AAAI 2018.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cldm import CldmError
from cldm.dm.dense import linear
from cldm.dm.model import GaussianFourierProjection, ScoreNet
from cldm.dm.sde import VESDE

DIM = 2
"""Coordinates of a sample: (x, y) of one complex variable (the 2 x 2 Gaussian part is written out)."""


class ConditionedScoreNet(nn.Module):
    """Score of the noised, whitened data u = L^-1 ((x, y) - mean) at VE time t, given parameters p.

    s_theta(u, t | p) = C^-T (F(C^-1 u, e(t) | c) / sigma - C^-1 u),   C C^T = S + sigma^2,

    c = E(p~) an embedding of the parameters p~ = 2 (p - lo) / (hi - lo) - 1 (normalised over the
    training range [lo, hi]; E: two SiLU layers of width cond_dim), and S = L L^T a learned data
    covariance: L lower triangular, its log-diagonal and off-diagonal entries linear in (c, p~). With
    F = 0 this is the exact score -(S + sigma^2)^-1 u of Gaussian data of covariance S. It is EDM's
    preconditioning (input (S + sigma^2)^-1/2 u, skip and output scalings) with a learned,
    p-dependent data covariance S in place of ScoreNet's S = 1, which it is at the start (the map to
    L starts at zero): -u / (1 + sigma^2) + F(u / sqrt(1 + sigma^2)) / (sigma sqrt(1 + sigma^2)).
    Under one global whitening the data's covariance changes with p (at small B the quartic CL
    density is 6x narrower in y than at B = 1.5): S carries that, so that the network sees its input
    at unit scale at every p, and F the rest. F is ScoreNet's MLP on the features (v, v^3 / 3) of its
    input v = C^-1 u and the Gaussian-Fourier embedding e(t) of ln(sigma(t))/4, with every hidden
    layer l modulated by c (FiLM):

        h_l = LeakyReLU((W_l h_{l-1} + b_l) * (1 + gamma_l(c)) + beta_l(c)),

    (gamma_l, beta_l) linear in c and starting at zero. The cubes let the score grow as a quartic
    action's drift (-lam x^3) where the data thin out: on v alone, a LeakyReLU MLP is linear beyond
    its last kink, which puts a Gaussian tail where the density falls as exp(-lam x^4 / 4) (in the
    B-scan the samples' x-tail at |x| > 2 came out 1.3-3x too dense, Re<z^6> +2%; docs/scans.md).
    t holds one noise level per block of consecutive rows, as in ScoreNet; p one row of parameters
    per row of u, or a single row for all.
    """

    def __init__(self, sde: VESDE, mean: torch.Tensor, chol: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor,
                 hidden: tuple[int, ...] = (64, 64, 64), embed_dim: int = 128, embed_scale: float = 1.0,
                 cond_dim: int = 32):
        super().__init__()
        self.sde = sde
        for name, value in (("mean", mean), ("chol", chol), ("lo", lo), ("hi", hi)):
            self.register_buffer(name, torch.as_tensor(value, dtype=torch.float32))
        self.dim = self.mean.numel()
        self.inputs = features(torch.zeros(1, self.dim)).shape[-1]
        self.embed = GaussianFourierProjection(embed_dim, embed_scale)
        self.cond = nn.Sequential(nn.Linear(self.lo.numel(), cond_dim), nn.SiLU(), nn.Linear(cond_dim, cond_dim), nn.SiLU())
        widths = (self.inputs + embed_dim, *hidden)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.film = nn.ModuleList(nn.Linear(cond_dim, 2 * b) for b in hidden)
        self.gauss = nn.Linear(cond_dim + self.lo.numel(), 3)  # log L_00, L_10, log L_11 from (c, p~)
        for layer in (*self.film, self.gauss):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.out = nn.Linear(hidden[-1], self.dim)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, u: torch.Tensor, t: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        """The score at whitened points u (N, dim), times t (one per block of rows), normalised
        parameters p (N, m) or (1, m)."""
        t = t.to(u.device)
        m = t.numel()
        sigma = self.sde.sigma(t).reshape(m, 1, 1)
        blocks = u.reshape(m, -1, self.dim)
        c = self.cond(p)
        c00, c10, c11 = self._cholesky(self.gauss(torch.cat([c, p], dim=-1)), sigma, blocks.shape[:2])
        v0 = blocks[..., 0] / c00
        v = torch.stack([v0, (blocks[..., 1] - c10 * v0) / c11], dim=-1)  # C^-1 u
        first, *rest = self.layers
        w_u, w_e = first.weight.split([self.inputs, first.in_features - self.inputs], dim=1)
        e = F.linear(self.embed(torch.log(sigma.reshape(m)) / 4), w_e, first.bias)
        h = self._modulate(F.linear(features(v), w_u) + e[:, None, :], 0, c)
        for i, layer in enumerate(rest, 1):
            h = self._modulate(linear(h, layer.weight, layer.bias), i, c)
        r = self.out(h) / sigma - v
        r1 = r[..., 1] / c11
        return torch.stack([(r[..., 0] - c10 * r1) / c00, r1], dim=-1).reshape(u.shape)  # C^-T (F / sigma - v)

    @staticmethod
    def _cholesky(g: torch.Tensor, sigma: torch.Tensor, shape: torch.Size) -> tuple[torch.Tensor, ...]:
        """C with C C^T = S + sigma^2, S = L L^T, L from g = (log L_00, L_10, log L_11) (one row, or
        one per row of the blocks of `shape` (m, n)): (C_00, C_10, C_11), each broadcasting to shape."""
        if len(g) > 1:
            g = g.reshape(*shape, 3)
        l00, l10, l11 = g[..., 0].exp(), g[..., 1], g[..., 2].exp()
        s2 = sigma[..., 0] ** 2
        c00 = torch.sqrt(l00**2 + s2)
        c10 = l00 * l10 / c00
        return c00, c10, torch.sqrt(l10**2 + l11**2 + s2 - c10**2)

    def _modulate(self, h: torch.Tensor, layer: int, c: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.film[layer](c).chunk(2, dim=-1)
        if len(c) > 1:  # one row of parameters per row of h (m blocks of rows)
            gamma, beta = gamma.reshape(h.shape), beta.reshape(h.shape)
        return self.act(h * (1 + gamma) + beta)

    def normalise(self, p: torch.Tensor) -> torch.Tensor:
        """p~ = 2 (p - lo) / (hi - lo) - 1: [-1, 1] over the training range, beyond it outside."""
        return 2 * (p - self.lo) / (self.hi - self.lo) - 1

    def standardize(self, rows: torch.Tensor) -> torch.Tensor:
        """Training rows (x, y, p) -> (u, p~): (x, y) whitened, p normalised."""
        return torch.cat([ScoreNet.standardize(self, rows[:, : self.dim]), self.normalise(rows[:, self.dim:])], dim=1)

    def at(self, values: Sequence[float]) -> AtParameters:
        """The model at the parameters `values` (p, not normalised)."""
        return AtParameters(self, values)


def features(v: torch.Tensor) -> torch.Tensor:
    """The first layer's inputs (..., 2 dim) from v = C^-1 u (..., dim): (v, v^3 / 3)."""
    return torch.cat([v, v**3 / 3], dim=-1)


def add_features_grad(dv: torch.Tensor, v: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """dv += dL/dv through `features`, given d = dL/dfeatures(v) (..., 2 dim): d's v part plus its
    cubes' part times v^2 (in place; the training step by hand, cldm.dm.conditioned_backprop)."""
    dim = v.shape[-1]
    return dv.add_(d[..., :dim]).addcmul_(d[..., dim:], v * v)


class AtParameters(nn.Module):
    """A conditioned model at fixed parameters p: the score s_theta(u, t | p) as forward(u, t), with
    ScoreNet's sde, standardize, destandardize, gaussian_law and data_score (the global whitening),
    so that the samplers, their control variates and the field figures take it as a ScoreNet."""

    standardize = ScoreNet.standardize
    destandardize = ScoreNet.destandardize
    gaussian_law = ScoreNet.gaussian_law
    data_score = ScoreNet.data_score

    def __init__(self, model: ConditionedScoreNet, values: Sequence[float]):
        super().__init__()
        self.model, self.sde, self.dim = model, model.sde, model.dim
        p = torch.as_tensor(np.asarray(values, dtype=np.float32).reshape(1, -1), device=model.lo.device)
        self.register_buffer("p", model.normalise(p))

    @property
    def mean(self) -> torch.Tensor:
        return self.model.mean

    @property
    def chol(self) -> torch.Tensor:
        return self.model.chol

    def forward(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.model(u, t, self.p)


def conditioned_dsm_loss(model: ConditionedScoreNet, rows: torch.Tensor, t: torch.Tensor,
                         noise: torch.Tensor) -> torch.Tensor:
    """E || s(t) s_theta(u + s(t) z, t | p) + z ||^2 over rows (u, p~): denoising score matching of
    `cldm.dm.families.dsm_loss` at each row's parameters (noise on u only; the noise drawn for the
    p columns is unused)."""
    u, p, z = rows[:, : model.dim], rows[:, model.dim:], noise[:, : model.dim]
    level = model.sde.sigma(t).repeat_interleave(len(u) // t.numel())[:, None]
    return ((level * model(u + level * z, t, p) + z) ** 2).sum(dim=1).mean()


def build(cfg, rows: torch.Tensor) -> ConditionedScoreNet:
    """The untrained model for training rows (x, y, p) (float64): global whitening of (x, y), the
    training range of each p_j. Raises CldmError if a parameter column holds a single value."""
    xy, p = rows[:, :DIM], rows[:, DIM:]
    if p.shape[1] == 0:
        raise CldmError("training rows hold no parameter columns: a conditioned model needs (x, y, p)")
    lo, hi = p.min(0).values, p.max(0).values
    if bool((hi <= lo).any()):
        raise CldmError(f"parameter columns {np.flatnonzero((hi <= lo).numpy()).tolist()} hold a single value: "
                        "a conditioned model needs at least two training values of each varying parameter")
    return ConditionedScoreNet(VESDE(cfg.alpha), xy.mean(0), torch.linalg.cholesky(torch.cov(xy.T)), lo, hi,
                               cfg.hidden, cfg.embed_dim, cfg.embed_scale, cfg.cond_dim)


def restore(cfg, state: dict) -> ConditionedScoreNet:
    return ConditionedScoreNet(VESDE(cfg.alpha), state["mean"], state["chol"], state["lo"], state["hi"], cfg.hidden,
                               cfg.embed_dim, cfg.embed_scale, cfg.cond_dim)


def training_rows(xy: np.ndarray, values: Sequence[float]) -> np.ndarray:
    """Rows (x, y, p) of samples xy (N, 2) drawn at parameters `values`."""
    return np.hstack([xy, np.broadcast_to(np.asarray(values, dtype=np.float64), (len(xy), len(values)))])
