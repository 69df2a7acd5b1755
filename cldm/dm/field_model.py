"""The score network of a periodic field: translation-equivariant, and usable at any number of sites.

Rows hold the L sites' (x, y) = (Re phi, Im phi) site by site: (x_0, y_0, x_1, y_1, ...), i.e.
fields of shape (N, L) as `cldm.coords.to_xy(phi).reshape(N, 2 L)`.

Whitening. Under translations the covariance of the fields is circulant: C_ab(x, x') = C_ab(x' - x)
with a 2 x 2 block C(r) per separation r, so the Fourier modes k = 2 pi n / L decouple, each with the
2 x 2 covariance c(k) = sum_r C(r) cos(k r) (reflection symmetry of the action, phi_x -> phi_-x,
makes C(r) = C(-r) symmetric and c(k) real). The whitening u = W (v - m), m the mean of a site, is
the circulant map with c(k)^(-1/2) per mode: it makes the data's covariance the identity (the
one-variable model's full whitening, for fields), so a Gaussian field is learned exactly by the
preconditioning below, and the network learns only what is not Gaussian. It is stored as the
kernel C(r). At another length L' (where the same network applies) it is defined by the precision
kernel P(r), the inverse circulant (c(k)^-1 per mode), on |r| <= L/2 and zero beyond
(`resize_kernel`): P is short-ranged (the Gaussian chain's vanishes beyond |r| = 3, so there the
resized whitening is exact for L, L' >= 7), while C(r) decays slowly in the modes of small
variance (resizing C itself misses the Gaussian chain's smallest mode variance at L' = 16 tenfold).

Network. s_theta(u, t) = -u / (1 + s^2) + F(u / sqrt(1 + s^2), e(t)) / (s sqrt(1 + s^2)), s = sigma(t)
(EDM preconditioning with sigma_data = 1, as `cldm.dm.model.ScoreNet`), F a stack of periodic
convolutions over the sites: each layer h_x <- act(sum_{d=-p..p} W_d h_{x+d} + b + E e(t)), p =
kernel // 2, act = SiLU, then an output convolution to the 2 channels (x, y). e(t) is the Gaussian-Fourier
embedding of ln(s)/4, projected to a bias of every layer. The output layer starts at zero, so the
untrained model is the exact score of Gaussian fields with the data's mean and covariance, and
training learns what is not Gaussian. Every layer commutes with translations,
so F and s_theta do (shifting the sites of the input shifts the output), and the same weights apply
at any L.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cldm import CldmError
from cldm.dm.model import GaussianFourierProjection
from cldm.dm.sde import VESDE


def site_covariance_kernel(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(m, C): the mean of a site (2,) and the covariance kernel C(r) = <v_x v_{x+r}^T>, r = 0..L-1,
    (L, 2, 2), of rows x (N, 2 L), averaged over the sites x (translations) and symmetrised in
    r -> -r (reflections: C(r) <- (C(r) + C(r)^T) / 2, as C(-r) = C(r)^T)."""
    v = x.reshape(len(x), -1, 2)
    mean = v.mean(dim=(0, 1))
    v = v - mean
    c = torch.stack([torch.einsum("nsa,nsb->ab", v, torch.roll(v, -r, dims=1)) / (v.shape[0] * v.shape[1])
                     for r in range(v.shape[1])])
    return mean, (c + c.transpose(1, 2)) / 2


def resize_kernel(c: np.ndarray, sites: int) -> np.ndarray:
    """The kernel (sites, 2, 2) of another chain length: C(r) for -L/2 <= r <= L/2, zero beyond, the
    entry at |r| = L/2 of an even L split between +L/2 and -L/2, summed periodically over `sites`.
    At sites = L it is c itself."""
    L = len(c)
    out = np.zeros((sites, 2, 2))
    for r in range(-(L // 2), L // 2 + 1):
        weight = 0.5 if L % 2 == 0 and abs(r) == L // 2 else 1.0
        out[r % sites] += weight * c[r % L]
    return out


def mode_covariances(c: np.ndarray) -> np.ndarray:
    """c(k) = sum_r C(r) cos(k r), k = 2 pi n / L (L, 2, 2): the covariance of each Fourier mode of a
    circulant field covariance with symmetric blocks C(r) = C(-r)."""
    L = len(c)
    k = 2 * np.pi * np.arange(L) / L
    return np.einsum("kr,rab->kab", np.cos(np.outer(k, np.arange(L))), c)


def mode_kernel(blocks: np.ndarray) -> np.ndarray:
    """The kernel K(r) = (1/L) sum_k blocks[k] cos(k r) (L, 2, 2) of the circulant map whose mode k
    acts by blocks[k] (L, 2, 2, real symmetric, blocks[k] = blocks[-k]): the inverse of mode_covariances."""
    L = len(blocks)
    k = 2 * np.pi * np.arange(L) / L
    return np.einsum("rk,kab->rab", np.cos(np.outer(np.arange(L), k)), blocks) / L


def resized_modes(c: np.ndarray, sites: int) -> np.ndarray:
    """The mode covariances (sites, 2, 2) at `sites` sites of fields whose covariance kernel at L
    sites is c: c itself at sites = L, else from the precision kernel resized (module docstring)."""
    modes = mode_covariances(c)
    if sites == len(c):
        return modes
    return np.linalg.inv(mode_covariances(resize_kernel(mode_kernel(np.linalg.inv(modes)), sites)))


def circulant(blocks: np.ndarray) -> np.ndarray:
    """The (2L, 2L) matrix in the row layout (x_0, y_0, x_1, y_1, ...) of the circulant map whose
    mode k acts by blocks[k] (L, 2, 2, real symmetric, blocks[k] = blocks[-k])."""
    L = len(blocks)
    kernel = mode_kernel(blocks)
    r = np.subtract.outer(np.arange(L), np.arange(L)) % L  # block (x, x') is kernel(x - x')
    return kernel[r].transpose(0, 2, 1, 3).reshape(2 * L, 2 * L)


def _matrix_power(blocks: np.ndarray, power: float) -> np.ndarray:
    """blocks^power of symmetric positive-definite 2 x 2 blocks (..., 2, 2)."""
    w, v = np.linalg.eigh(blocks)
    return np.einsum("...ab,...b,...cb->...ac", v, w**power, v)


class FieldScoreNet(nn.Module):
    """Score of noised, whitened periodic fields at VE time t (see the module docstring).

    mean: (2,) of a site; kernel: the covariance kernel C(r) (L, 2, 2) of the training fields, L
    their sites; channels: the hidden layers' channels; kernel_size: sites each convolution sees.
    t holds one noise level per block of consecutive rows ((), or (m,) for m blocks), as ScoreNet.
    Rows may have any number of sites L' (whitened with the kernel resized to L'); `dim` = 2 L is
    the row length of the training fields.
    """

    def __init__(
        self,
        sde: VESDE,
        mean: torch.Tensor,
        kernel: torch.Tensor,
        channels: tuple[int, ...] = (32, 32, 32),
        kernel_size: int = 3,
        embed_dim: int = 128,
        embed_scale: float = 1.0,
    ):
        super().__init__()
        self.sde = sde
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("kernel", torch.as_tensor(kernel, dtype=torch.float64))
        self.sites = int(self.kernel.shape[0])
        self.dim = 2 * self.sites
        self.reach = kernel_size // 2
        self.channels = tuple(channels)
        self.embed = GaussianFourierProjection(embed_dim, embed_scale)
        self.time = nn.Linear(embed_dim, sum(self.channels))
        widths = (2, *self.channels)
        self.convs = nn.ModuleList(nn.Linear(kernel_size * a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.out = nn.Linear(kernel_size * self.channels[-1], 2)
        nn.init.zeros_(self.out.weight)  # untrained: the exact score of Gaussian fields with the data's covariance
        nn.init.zeros_(self.out.bias)
        self.act = nn.SiLU()  # smooth: with LeakyReLU the same training left <phi^2> 3% low, with SiLU 1%
        self._whitening: dict[int, tuple[torch.Tensor, torch.Tensor, np.ndarray]] = {}

    def _load_from_state_dict(self, *args, **kwargs):
        self._whitening = {}  # made from the kernel that is being replaced
        super()._load_from_state_dict(*args, **kwargs)

    def _neighbours(self, h: torch.Tensor) -> torch.Tensor:
        """(..., L, C) -> (..., L, kernel_size C): h_{x+d}, d = -p..p, periodic in x. The field padded
        periodically by p sites on each side, its windows of kernel_size sites (unfold) copied out:
        the same values as concatenating the field rolled by each d (torch.roll concatenates two
        slices of each copy), 1.8-2.3x faster at 8 and 16 sites (`benchmarks/field_speed.py`). Copied, not the
        overlapping view that reshape gives: matrix products read the view 1.7x slower."""
        p, sites = self.reach, h.shape[-2]
        padded = torch.cat([h[..., sites - p :, :], h, h[..., :p, :]], dim=-2) if p else h
        windows = padded.unfold(-2, 2 * p + 1, 1)  # (..., L, C, kernel_size)
        return windows.transpose(-1, -2).reshape(*h.shape[:-1], (2 * p + 1) * h.shape[-1]).contiguous()

    def forward(self, u: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = t.to(u.device)
        m = t.numel()
        sigma = self.sde.sigma(t).reshape(m, 1, 1, 1)
        scale = torch.sqrt(1 + sigma**2)
        v = u.reshape(m, -1, u.shape[-1] // 2, 2)
        biases = self.time(self.embed(torch.log(sigma.reshape(m)) / 4)).split(self.channels, dim=-1)
        h = v / scale
        for conv, bias in zip(self.convs, biases):
            h = self.act(conv(self._neighbours(h)) + bias[:, None, None, :])
        return (-v / scale**2 + self.out(self._neighbours(h)) / (sigma * scale)).reshape(u.shape)

    def whitening(self, sites: int) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
        """(W, W^-1, C) at `sites` sites, (2 sites, 2 sites) in the row layout: W = c(k)^(-1/2) per
        mode (`resized_modes`), and C the covariance of the fields it whitens. Raises CldmError
        where a resized mode is not positive definite."""
        if sites not in self._whitening:
            modes = resized_modes(self.kernel.cpu().numpy(), sites)
            smallest = np.linalg.eigvalsh(modes).min()
            if smallest <= 0:
                raise CldmError(f"the whitening of a chain of {self.sites} sites does not extend to {sites} sites "
                                f"(a mode's covariance has eigenvalue {smallest:.3g} <= 0)")
            w, w_inv = (torch.as_tensor(circulant(_matrix_power(modes, p)), dtype=torch.float32) for p in (-0.5, 0.5))
            self._whitening[sites] = (w, w_inv, circulant(modes))
        w, w_inv, cov = self._whitening[sites]
        return w.to(self.mean.device), w_inv.to(self.mean.device), cov

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """u = W (x - mean), row-wise, at the rows' number of sites."""
        w, _, _ = self.whitening(x.shape[-1] // 2)
        return (x - self.mean.repeat(x.shape[-1] // 2)) @ w.T

    def destandardize(self, u: torch.Tensor) -> torch.Tensor:
        _, w_inv, _ = self.whitening(u.shape[-1] // 2)
        return u @ w_inv.T + self.mean.repeat(u.shape[-1] // 2)

    def gaussian_law(self, var: float, sites: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(mean, covariance) of the rows x = W^-1 u + mean when u ~ N(0, var I) (2 sites,): the mean
        of a site at every site and var times the whitened covariance; `sites` defaults to the
        trained L."""
        sites = sites or self.sites
        return np.tile(self.mean.double().cpu().numpy(), sites), var * self.whitening(sites)[2]
