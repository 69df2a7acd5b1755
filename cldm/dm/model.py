"""The score network s_theta(x, t): a time-conditioned MLP with a Gaussian-Fourier time embedding."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cldm.dm.dense import linear
from cldm.dm.sde import VESDE


class GaussianFourierProjection(nn.Module):
    """[sin 2 pi W tau, cos 2 pi W tau] with fixed W ~ N(0, scale^2)."""

    def __init__(self, dim: int, scale: float):
        super().__init__()
        self.register_buffer("W", torch.randn(dim // 2) * scale)

    def forward(self, tau: torch.Tensor) -> torch.Tensor:
        proj = 2 * torch.pi * tau[:, None] * self.W[None, :]
        return torch.cat([proj.sin(), proj.cos()], dim=-1)


class ScoreNet(nn.Module):
    """Score of the noised, whitened data u = L^-1 (x - mean) at VE time t, C = L L^T the data covariance.

    s_theta(u, t) = -u / (1 + sigma^2) + F(u / sqrt(1 + sigma^2), e(t)) / (sigma sqrt(1 + sigma^2)),
    the exact score of unit-variance Gaussian data plus a learned correction F (EDM
    preconditioning with sigma_data = 1). F is an MLP with LeakyReLU on the input concatenated
    with e(t), the Gaussian-Fourier embedding of ln(sigma(t))/4. t holds one noise level per block
    of consecutive rows (shape () for the whole batch, as in sampling; (m,) for m blocks, as in
    training), so each level embeds once and most of the first layer's work is shared.
    """

    def __init__(
        self,
        sde: VESDE,
        mean: torch.Tensor,
        chol: torch.Tensor,
        hidden: tuple[int, ...] = (64, 64, 64),
        embed_dim: int = 128,
        embed_scale: float = 1.0,
        outputs: int | None = None,
        inputs: int | None = None,
    ):
        super().__init__()
        self.sde = sde
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("chol", torch.as_tensor(chol, dtype=torch.float32))
        self.dim = self.mean.numel()
        self.embed = GaussianFourierProjection(embed_dim, embed_scale)
        widths = ((inputs or self.dim) + embed_dim, *hidden)  # inputs: other features of u than u itself
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.out = nn.Linear(hidden[-1], outputs or self.dim)  # outputs: another head on the same trunk
        self.act = nn.LeakyReLU(0.2)

    def forward(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = t.to(u.device)
        m = t.numel()
        sigma = self.sde.sigma(t).reshape(m, 1, 1)
        scale = torch.sqrt(1 + sigma**2)
        blocks = u.reshape(m, -1, self.dim)
        return (-blocks / scale**2 + self.out(self.trunk(blocks / scale, sigma)) / (sigma * scale)).reshape(u.shape)

    def trunk(self, v: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """The last hidden layer for inputs v of shape (m, n, features), block i at noise level
        sigma[i] (sigma of shape (m, 1, 1)): the MLP on v concatenated with the level's embedding,
        whose part of the first layer is computed once per block."""
        m = sigma.numel()
        first, *rest = self.layers
        w_u, w_e = first.weight.split([v.shape[-1], first.in_features - v.shape[-1]], dim=1)
        e = F.linear(self.embed(torch.log(sigma.reshape(m)) / 4), w_e, first.bias)
        h = self.act(F.linear(v, w_u) + e[:, None, :])
        for layer in rest:
            h = self.act(linear(h, layer.weight, layer.bias))
        return h

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """u = L^-1 (x - mean), row-wise."""
        return torch.linalg.solve_triangular(self.chol, (x - self.mean).T, upper=False).T

    def destandardize(self, u: torch.Tensor) -> torch.Tensor:
        return u @ self.chol.T + self.mean

    def gaussian_law(self, var: float) -> tuple[np.ndarray, np.ndarray]:
        """(mean, covariance) of x = L u + mean when u ~ N(0, var I): (mean, var C)."""
        c = (self.chol @ self.chol.T).double().numpy()
        return self.mean.double().numpy(), var * c

    def data_score(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Score in the data coordinates (x, y): grad_x log p_t = L^-T s_theta(u, t)."""
        s = self(self.standardize(x), t)
        return torch.linalg.solve_triangular(self.chol.T, s.T, upper=True).T
