"""The energy network E_theta(u, t): a scalar whose negative gradient is the score, so that the
model's density exp(-E_theta)/Z is explicit and its samples can be Metropolis-adjusted (energy-based
diffusion models: Salimans & Ho 2021, Du et al. 2023; arXiv 2510.01328 for these actions)."""

from __future__ import annotations

import torch
from torch import nn

from cldm.dm.model import ScoreNet
from cldm.dm.sde import VESDE


class EnergyNet(ScoreNet):
    """E_theta(u, t) in the whitened coordinates u = L^-1 (x - mean) of ScoreNet, with its trunk
    (time embedding, MLP) and one output g:

        E(u, t) = |u|^2 / (2 c^2) - G(u / c, t) / sigma,   c = sqrt(1 + sigma^2),
        G(v, t) = g(q(v), e(t)),   q(v) = (v_i v_j)_{i <= j}   (even: E(u) = E(-u); else q(v) = v),

    sigma = sigma(t) the noise level. Its score -grad_u E = -u / c^2 + grad_v G(u / c) / (sigma c)
    has ScoreNet's form: the exact score of unit-variance Gaussian data (E = the energy of the
    whitened Gaussian data at level sigma when G = 0) plus a learned correction F = grad_v G with
    EDM's output scaling 1 / (sigma c). forward(u, t) is that score, by autograd: every sampler
    works through it; training differentiates it again (double backward).

    The activation is smooth (SiLU): with a piecewise-linear one the score would be piecewise
    constant in u, and its derivative with respect to the biases and the time embedding, which only
    shift the pre-activations, would vanish: the correction could not learn its dependence on t.

    Even: the products v_i v_j determine v up to its sign (v v^T has rank one), so every even G is a
    function of them, at one pass of the network (g(v) + g(-v) costs two, and measured 1.7x the
    time). Near v = 0 the correction grad_v G is then linear in v, as the gradient of a smooth even
    function is. Evenness in u is evenness in z when mean = 0 (the family centres the whitening at 0).
    """

    def __init__(
        self,
        sde: VESDE,
        mean: torch.Tensor,
        chol: torch.Tensor,
        hidden: tuple[int, ...] = (64, 64, 64),
        embed_dim: int = 128,
        embed_scale: float = 1.0,
        even: bool = True,
    ):
        dim = torch.as_tensor(mean).numel()
        self.pairs = torch.triu_indices(dim, dim) if even else None  # (2, dim (dim + 1) / 2): i <= j
        super().__init__(sde, mean, chol, hidden, embed_dim, embed_scale, outputs=1,
                         inputs=dim * (dim + 1) // 2 if even else dim)
        self.even = even
        self.act = nn.SiLU()  # smooth: the score is E's gradient, and training differentiates it again

    def energy(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """E(u, t) of each row of u, shape (N,); t holds one time per block of consecutive rows
        (shape () or (m,)), as in ScoreNet.forward. Defined up to a function of t alone."""
        t = t.to(u.device)
        m = t.numel()
        sigma = self.sde.sigma(t).reshape(m, 1, 1)
        c2 = 1 + sigma**2
        blocks = u.reshape(m, -1, self.dim)
        v = blocks / torch.sqrt(c2)
        g = self.out(self.trunk(self.features(v), sigma))
        return ((blocks**2).sum(-1, keepdim=True) / (2 * c2) - g / sigma).reshape(len(u))

    def features(self, v: torch.Tensor) -> torch.Tensor:
        """q(v): the products v_i v_j, i <= j, for an even energy; else v."""
        return v[..., self.pairs[0]] * v[..., self.pairs[1]] if self.even else v

    def energy_and_score(self, u: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(E(u, t), -grad_u E(u, t)). Gradients are on whatever the caller's mode: under no_grad
        (sampling) E and the score come back detached; with gradients on (training) the score keeps
        its graph, so that a loss of it reaches the weights (double backward)."""
        keep = torch.is_grad_enabled()
        with torch.enable_grad():
            if not u.requires_grad:
                u = u.detach().requires_grad_(True)
            e = self.energy(u, t)
            (grad,) = torch.autograd.grad(e.sum(), u, create_graph=keep)
        return (e, -grad) if keep else (e.detach(), -grad.detach())

    def forward(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The score -grad_u E(u, t) (ScoreNet's interface)."""
        return self.energy_and_score(u, t)[1]
