"""A non-Gaussian target with an exact score at every noise level, to measure samplers without a
network: a mixture of Gaussians, whose VE-noised density is the mixture with covariances C_k + sigma^2 I."""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
import torch

from cldm.dm.sde import VESDE
from cldm.physics.exact import gaussian_monomial_means


@dataclass(frozen=True)
class Mixture:
    """sum_k w_k N(mean_k, cov_k) in the plane. The default is skewed and of unit scale, like the
    whitened data the score models see, with moments far from Gaussian ones."""

    weights: tuple[float, ...] = (0.5, 0.3, 0.2)
    means: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.9, 0.5), (-0.7, 0.8))
    covs: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (
        ((0.5, 0.1), (0.1, 0.3)), ((0.2, -0.05), (-0.05, 0.15)), ((0.3, 0.0), (0.0, 0.1)))

    def score(self, sde: VESDE):
        """s(x, t) = grad log p_t(x) = -sum_k pi_k(x) (C_k + sigma(t)^2 I)^-1 (x - m_k), with pi_k the
        posterior weights of the components, computed in float64."""
        w, mu, cov = (torch.tensor(np.array(a), dtype=torch.float64) for a in (self.weights, self.means, self.covs))

        def score(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            c = cov + sde.sigma(t.double()) ** 2 * torch.eye(2, dtype=torch.float64)
            dx = x.double()[:, None, :] - mu
            sol = torch.einsum("kij,nkj->nki", torch.linalg.inv(c), dx)
            logp = -0.5 * (dx * sol).sum(-1) - 0.5 * torch.logdet(c) + torch.log(w)
            return -(torch.softmax(logp, dim=1)[..., None] * sol).sum(1).to(x.dtype)

        return score

    def moments(self, nmax: int = 8) -> dict[int, complex]:
        """<z^n> of z = x + iy, n = 1..nmax, exactly: each component's E x^a y^b by Gauss-Hermite."""
        parts = [gaussian_monomial_means(np.array(m), np.array(c), nmax) for m, c in zip(self.means, self.covs)]
        return {n: complex(sum(w * sum(comb(n, k) * 1j**k * p[(n - k, k)] for k in range(n + 1))
                               for w, p in zip(self.weights, parts))) for n in range(1, nmax + 1)}
