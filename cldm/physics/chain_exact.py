"""Exact results for the periodic chain S = sum_x [(phi_{x+1} - phi_x)^2/2 + sigma phi_x^2/2 + lam phi_x^4/4].

* Any lam >= 0: the transfer matrix T(phi, phi') = exp(-(phi - phi')^2/2 - V(phi)/2 - V(phi')/2),
  V = sigma phi^2/2 + lam phi^4/4, on a uniform real grid (trapezoid rule; the integrand is
  analytic and negligible beyond the cutoff, so the error falls exponentially with both the
  spacing and the cutoff). Z = Tr T^L, <f(phi_0)> = Tr(f T^L)/Z, <phi_0 phi_r> = Tr(phi T^r phi T^(L-r))/Z,
  and the moments of M = sum_x phi_x / sqrt(L) from Tr (T e^(h phi))^L expanded in h.
* lam = 0 in closed form: the momentum modes k = 2 pi n/L are independent complex Gaussians with
  sigma_k = sigma + 4 sin^2(k/2), so G(r) = (1/L) sum_k cos(k r)/sigma_k; and the stationary CL
  distribution of (x, y) = (Re phi, Im phi) at all sites is a Gaussian whose 2L x 2L covariance is
  that of the one-variable model (exact.gaussian_cl_covariance) at A_k = A + 4 sin^2(k/2) per mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

from cldm.physics.exact import gaussian_cl_covariance

TAIL = 36.0  # the cutoff c has Re V(c) - min Re V = TAIL: a site's weight there is e^-36 ~ 2e-16
SPACING = 0.1  # grid spacing for |sigma| <= 1 and lam c^2 <= 1; finer for larger couplings (transfer_grid)


@dataclass(frozen=True)
class ChainExact:
    """Exact expectation values of a chain of L sites.

    phi2, phi4: <phi_x^2>, <phi_x^4> (any site); G: <phi_0 phi_r> for r = 0..L-1;
    M2, M4: <M^2>, <M^4> of M = sum_x phi_x / sqrt(L). chi = sum_r G(r) equals M2.
    """

    L: int
    phi2: complex
    phi4: complex
    G: np.ndarray
    M2: complex
    M4: complex

    @property
    def chi(self) -> complex:
        """chi = sum_{r=0}^{L-1} G(r) = <M^2>."""
        return complex(self.G.sum())

    @property
    def kappa4(self) -> complex:
        """Fourth cumulant of M: <M^4> - 3 <M^2>^2 (odd moments vanish by phi -> -phi)."""
        return self.M4 - 3 * self.M2**2


def transfer_grid(sigma: complex, lam: float, spacing: float | None = None, cutoff: float | None = None) -> np.ndarray:
    """The uniform grid -c..c of the transfer matrix.

    Default cutoff c: Re V(c) - min Re V = TAIL (V's real part A phi^2/2 + lam phi^4/4). Default
    spacing: SPACING / max(1, |sigma|, lam c^2)^(1/4), finer where the phase exp(-i B phi^2/2) turns
    faster and V curves more up to the cutoff. The trapezoid error falls like exp(-const/spacing):
    over sigma = 0.2+0.5i..10+10i, lam = 0..4, L = 1..16, the results agree with a grid 1.4 x wider
    and 2-3 x finer to 1e-13 (tested to 1e-8 in tests/test_chain.py).
    """
    A = sigma.real
    if cutoff is None:
        depth = TAIL + (A**2 / (4 * lam) if A < 0 else 0.0)  # from the bottom of a double well
        cutoff = np.sqrt(2 * depth / A) if lam == 0 else np.sqrt((-A + np.sqrt(A**2 + 4 * lam * depth)) / lam)
    if spacing is None:
        spacing = SPACING / max(1.0, abs(sigma), lam * cutoff**2) ** 0.25
    n = int(np.ceil(cutoff / spacing))
    return np.linspace(-n * spacing, n * spacing, 2 * n + 1)


def transfer_matrix(sigma: complex, lam: float, grid: np.ndarray) -> np.ndarray:
    """T_ij = h exp(-(phi_i - phi_j)^2/2 - V_i/2 - V_j/2) (trapezoid weight h), complex symmetric."""
    h = grid[1] - grid[0]
    half_v = (sigma * grid**2 / 2 + lam * grid**4 / 4) / 2
    return h * np.exp(-((grid[:, None] - grid[None, :]) ** 2) / 2 - half_v[:, None] - half_v[None, :])


def chain_exact_transfer(sigma: complex, lam: float, L: int, spacing: float | None = None,
                         cutoff: float | None = None) -> ChainExact:
    """Exact observables of the chain from the transfer matrix on transfer_grid(sigma, lam, ...).

    T is scaled by its largest |eigenvalue| (ratios of traces do not change; estimated by power
    iteration) so that T^L neither over- nor underflows.
    <M^n> = n! [h^n] Tr (T E(h))^L / (Z L^(n/2)), E(h) = diag(exp(h phi)), by products of matrix
    polynomials in h truncated at degree 4.
    """
    grid = transfer_grid(sigma, lam, spacing, cutoff)
    t = transfer_matrix(sigma, lam, grid)
    t /= _spectral_radius(t)
    powers = [np.eye(len(grid), dtype=complex)]
    for _ in range(L):
        powers.append(powers[-1] @ t)
    z = np.trace(powers[L])
    diag = np.diagonal(powers[L])
    G = np.array([np.sum(np.outer(grid, grid) * powers[r] * powers[L - r].T) for r in range(L)]) / z
    source = [grid**j / factorial(j) for j in range(5)]  # E(h) = sum_j h^j diag(phi^j / j!)
    poly = [np.eye(len(grid), dtype=complex)] + [np.zeros_like(t)] * 4  # coefficients of h^0..h^4
    for _ in range(L):
        step = [p @ t for p in poly]
        poly = [sum(step[i] * source[j - i][None, :] for i in range(j + 1)) for j in range(5)]
    m2, m4 = (factorial(n) * np.trace(poly[n]) / z / L ** (n / 2) for n in (2, 4))
    return ChainExact(L, complex(diag @ grid**2 / z), complex(diag @ grid**4 / z), G, complex(m2), complex(m4))


def _spectral_radius(t: np.ndarray, iterations: int = 50) -> float:
    """|largest eigenvalue| of t, by power iteration (its order of magnitude is all that is needed)."""
    v = np.ones(len(t), dtype=complex)
    for _ in range(iterations):
        w = t @ v
        norm = np.linalg.norm(w)
        v = w / norm
    return float(norm)


def mode_sigmas(sigma: complex, L: int) -> np.ndarray:
    """sigma_k = sigma + 4 sin^2(k/2), k = 2 pi n / L, n = 0..L-1."""
    return sigma + 4 * np.sin(np.pi * np.arange(L) / L) ** 2


def gaussian_chain_exact(sigma: complex, L: int) -> ChainExact:
    """lam = 0 in closed form: G(r) = (1/L) sum_k cos(k r) / sigma_k, <phi^4> = 3 G(0)^2 (Wick),
    <M^2> = 1/sigma, <M^4> = 3/sigma^2 (M is the k = 0 mode)."""
    k = 2 * np.pi * np.arange(L) / L
    G = np.array([np.mean(np.cos(k * r) / mode_sigmas(sigma, L)) for r in range(L)])
    return ChainExact(L, complex(G[0]), complex(3 * G[0] ** 2), G, 1 / sigma, 3 / sigma**2)


def chain_exact(A: float, B: float, lam: float, L: int) -> ChainExact:
    """Exact observables of a chain point: closed forms at lam = 0, the transfer matrix otherwise."""
    sigma = complex(A, B)
    return gaussian_chain_exact(sigma, L) if lam == 0 else chain_exact_transfer(sigma, lam, L)


def gaussian_chain_cl_covariance(A: float, B: float, L: int) -> np.ndarray:
    """Covariance (2L x 2L) of the stationary CL distribution of the Gaussian chain, in the order
    (x_0..x_{L-1}, y_0..y_{L-1}), x = Re phi, y = Im phi.

    The real Fourier modes decouple, each an OU process of the one-variable model at
    A_k = A + 4 sin^2(k/2), B; so each block is circulant, C_ab(x - x') = (1/L) sum_k cos(k (x - x')) c_ab(k),
    c(k) = gaussian_cl_covariance(A_k, B). Needs A > 0. For B = 0 the y block is zero (CL stays real).
    """
    k = 2 * np.pi * np.arange(L) / L
    c = np.array([gaussian_cl_covariance(a, B) for a in mode_sigmas(complex(A, B), L).real])  # (L, 2, 2)
    r = np.subtract.outer(np.arange(L), np.arange(L))
    phase = np.cos(k[None, None, :] * r[:, :, None]) / L  # (L, L, modes)
    blocks = np.einsum("xyk,kab->abxy", phase, c)
    return np.block([[blocks[0, 0], blocks[0, 1]], [blocks[1, 0], blocks[1, 1]]])


def gaussian_chain_cl_score(A: float, B: float, xy: np.ndarray) -> np.ndarray:
    """Exact score grad log P(x, y) of the Gaussian chain's stationary CL distribution at points
    xy of shape (..., L, 2) (column 0 x = Re phi, column 1 y = Im phi per site): -C^-1 u, u = (x, y),
    C = gaussian_chain_cl_covariance. Same shape as xy. Needs B != 0 (for B = 0, P sits on y = 0)."""
    if B == 0:
        raise ValueError("B = 0: the CL distribution lies on y = 0 and has no score in y")
    xy = np.asarray(xy, dtype=float)
    L = xy.shape[-2]
    precision = np.linalg.inv(gaussian_chain_cl_covariance(A, B, L))
    u = np.concatenate([xy[..., 0], xy[..., 1]], axis=-1)  # (..., 2L)
    s = -u @ precision  # precision is symmetric
    return np.stack([s[..., :L], s[..., L:]], axis=-1)
