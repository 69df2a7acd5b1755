"""The variance-exploding SDE of the score model, as a small class (after score_sde's sde_lib)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class VESDE:
    """dx = alpha^t dw on t in [0, 1]; marginal std sigma(t) = sqrt((alpha^2t - 1) / (2 ln alpha))."""

    alpha: float = 25.0

    @property
    def log_alpha(self) -> float:
        return math.log(self.alpha)

    def sigma(self, t: torch.Tensor) -> torch.Tensor:
        return torch.sqrt(torch.expm1(2 * self.log_alpha * t) / (2 * self.log_alpha))

    def g(self, t: torch.Tensor) -> torch.Tensor:
        """Diffusion coefficient alpha^t."""
        return torch.exp(self.log_alpha * t)

    def t_of_sigma(self, sigma: torch.Tensor) -> torch.Tensor:
        """Inverse of sigma(t): t = ln(1 + 2 ln(alpha) sigma^2) / (2 ln alpha)."""
        return torch.log1p(2 * self.log_alpha * sigma**2) / (2 * self.log_alpha)

    def sigma_of(self, t: float) -> float:
        """sigma(t) of a plain number."""
        return float(self.sigma(torch.tensor(t, dtype=torch.float64)))

    @property
    def sigma_max(self) -> float:
        return self.sigma_of(1.0)
