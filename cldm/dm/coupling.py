"""A sampler's own (discretisation) error on one Brownian path: a sampler whose steps are exact steps
of the linear part on `ei_grid` (`ei`, `eipc`), run on N steps, against `ei` on m N steps of the same
grid family, both driven by the same noise.

Independent runs would need ~1e7 samples to show a bias of 1e-4 in <z^2>; coupled, the two paths
differ by the solver's error only, and 1e4 samples resolve it (Giles' multilevel coupling for SDEs).
"""

from __future__ import annotations

import torch

from cldm import CldmError
from cldm.dm.sample import Draw, Score, batch_sizes, concat, ei_grid
from cldm.dm.samplers import SAMPLERS
from cldm.dm.sde import VESDE
from cldm.settings.sampling import Sampling


def coarse_normals(s2: torch.Tensor, m: int, xi: torch.Tensor) -> torch.Tensor:
    """Standard normals of the coarse steps (every m-th of the fine noise levels s2, float64) from
    the fine steps' ones xi (shape (fine steps, ...)) on the same Brownian path.

    The exact step of the linear part from sigma_j^2 to sigma_{j+1}^2 is x <- a_j x + sqrt(a_j D_j) xi_j
    (`ei_coefficients`); m of them compose to x <- A x + eta with A the product of the a_j and
    eta = sum_j (a_{j+1} ... a_{j_end}) sqrt(a_j D_j) xi_j, of variance A D over the coarse step
    (the exact step again). The coarse normal is eta / sqrt(A D).
    """
    if (len(s2) - 1) % m:
        raise CldmError(f"{len(s2) - 1} fine steps are not a multiple of m = {m}")
    a = (1 + s2[1:]) / (1 + s2[:-1])
    sd = (a * (s2[:-1] - s2[1:])).sqrt()
    out = []
    for i in range(0, len(a), m):
        eta = torch.zeros(xi.shape[1:], dtype=torch.float64)
        for j in range(i, i + m):
            eta = a[j] * eta + sd[j] * xi[j].double()
        big_a, big_d = torch.prod(a[i : i + m]), s2[i] - s2[i + m]
        out.append((eta / (big_a * big_d).sqrt()).float())
    return torch.stack(out)


def coupled(score: Score, sde: VESDE, n: int, dim: int, sampler: str, steps: int, m: int, seed: int,
            batch: int = 8192, **opts) -> tuple[Draw, Draw]:
    """(coarse, fine): n samples of `sampler` with `steps` steps and of `ei` with m steps for each,
    from the same starting points and Brownian path (options as in `generate`, shared by both)."""
    if not SAMPLERS[sampler].ei_steps:
        raise CldmError(f"sampler '{sampler}' does not take exact steps on ei's grid: it cannot be coupled")
    opts = {**Sampling(sampler=sampler).options(), **opts}
    _, s2 = ei_grid(sde, steps * m, opts["t_eps"], opts["power"])
    gen = torch.Generator().manual_seed(seed)
    coarse, fine = [], []
    with torch.no_grad():
        for size in batch_sizes(n, batch):
            x0 = sde.sigma_max * torch.randn(size, dim, generator=gen)
            xi = torch.randn(steps * m, size, dim, generator=gen)
            fine.append(SAMPLERS["ei"].load()(score, sde, x0, steps * m, iter(xi), **opts))
            coarse.append(SAMPLERS[sampler].load()(score, sde, x0, steps, iter(coarse_normals(s2, m, xi)), **opts))
    return concat(coarse), concat(fine)
