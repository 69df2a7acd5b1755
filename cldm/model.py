"""The score network s_theta(x, t): a time-conditioned MLP with a Gaussian-Fourier time embedding."""

from __future__ import annotations

import torch
from torch import nn

from cldm.sde import VESDE


class GaussianFourierProjection(nn.Module):
    """[sin 2 pi W tau, cos 2 pi W tau] with fixed W ~ N(0, scale^2)."""

    def __init__(self, dim: int, scale: float):
        super().__init__()
        self.register_buffer("W", torch.randn(dim // 2) * scale)

    def forward(self, tau: torch.Tensor) -> torch.Tensor:
        proj = 2 * torch.pi * tau[:, None] * self.W[None, :]
        return torch.cat([proj.sin(), proj.cos()], dim=-1)


class ScoreNet(nn.Module):
    """Score of the noised, standardised data u = (x - mean) / std at VE time t.

    s_theta(u, t) = -u / (1 + sigma^2) + F(u / sqrt(1 + sigma^2), ln(sigma)/4) / (sigma sqrt(1 + sigma^2)),
    the exact score of unit-variance Gaussian data plus a learned MLP correction F
    (EDM preconditioning with sigma_data = 1). F: hidden layers with LeakyReLU, each fed the
    Gaussian-Fourier embedding of the noise level through its own linear map.
    """

    def __init__(
        self,
        sde: VESDE,
        mean: torch.Tensor,
        std: torch.Tensor,
        hidden: tuple[int, ...] = (64, 64, 64),
        embed_dim: int = 128,
        embed_scale: float = 4.0,
    ):
        super().__init__()
        self.sde = sde
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        dim = self.mean.numel()
        self.embed = nn.Sequential(GaussianFourierProjection(embed_dim, embed_scale), nn.Linear(embed_dim, embed_dim))
        widths = (dim, *hidden)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.dense = nn.ModuleList(nn.Linear(embed_dim, b) for b in hidden)
        self.out = nn.Linear(hidden[-1], dim)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        sigma = self.sde.sigma(t)[:, None]
        scale = torch.sqrt(1 + sigma**2)
        emb = self.act(self.embed(torch.log(sigma[:, 0]) / 4))
        h = u / scale
        for layer, dense in zip(self.layers, self.dense):
            h = self.act(layer(h) + dense(emb))
        return -u / scale**2 + self.out(h) / (sigma * scale)

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def destandardize(self, u: torch.Tensor) -> torch.Tensor:
        return u * self.std + self.mean

    def data_score(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Score in the data coordinates (x, y): grad_x log p_t = s_theta(u, t) / std."""
        return self(self.standardize(x), t) / self.std
