"""Polynomial actions S(z) with complex couplings and their Langevin drift K = -dS/dz, for one
complex variable (Gaussian, Quartic) and for a periodic chain of L sites (Chain)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
from numpy.polynomial import polynomial as P


class Action(Protocol):
    """What the CL engine needs: the drift of states of shape (..., *field_shape)."""

    field_shape: tuple[int, ...]

    def action(self, z: np.ndarray) -> np.ndarray: ...

    def drift(self, z: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Polynomial:
    """S(z) = sum_k c_k z^k; drift K(z) = -sum_k k c_k z^(k-1). One variable: field_shape ()."""

    coeffs: tuple[complex, ...]
    field_shape: ClassVar[tuple[int, ...]] = ()

    def action(self, z: np.ndarray) -> np.ndarray:
        return P.polyval(z, self.coeffs)

    def drift(self, z: np.ndarray) -> np.ndarray:
        return -P.polyval(z, P.polyder(self.coeffs))


@dataclass(frozen=True)
class Gaussian(Polynomial):
    """S = sigma z^2 / 2, K = -sigma z."""

    sigma: complex
    coeffs: tuple[complex, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "coeffs", (0, 0, self.sigma / 2))

    def drift(self, z: np.ndarray) -> np.ndarray:
        return -self.sigma * z


@dataclass(frozen=True)
class Quartic(Polynomial):
    """S = sigma z^2 / 2 + lam z^4 / 4, K = -z (sigma + lam z^2); lam may be complex (Re lam > 0)."""

    sigma: complex
    lam: complex
    coeffs: tuple[complex, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "coeffs", (0, 0, self.sigma / 2, 0, self.lam / 4))

    def drift(self, z: np.ndarray) -> np.ndarray:
        k = z * z
        k *= self.lam
        k += self.sigma
        k *= z
        return np.negative(k, out=k)


@dataclass(frozen=True)
class Chain:
    """Periodic chain of L sites, fields phi of shape (..., L), phi_L = phi_0:

    S = sum_x [(phi_{x+1} - phi_x)^2 / 2 + sigma phi_x^2 / 2 + lam phi_x^4 / 4],
    K_x = -dS/dphi_x = phi_{x+1} + phi_{x-1} - (2 + sigma) phi_x - lam phi_x^3.

    For L = 1 the hopping term vanishes (phi_1 = phi_0) and this is the quartic model.
    """

    sigma: complex
    lam: float
    L: int

    @property
    def field_shape(self) -> tuple[int, ...]:
        return (self.L,)

    def action(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z)
        hop = np.roll(z, -1, axis=-1) - z
        return np.sum(hop * hop / 2 + self.sigma * z**2 / 2 + self.lam * z**4 / 4, axis=-1)

    def drift(self, z: np.ndarray) -> np.ndarray:
        k = self.neighbours(z)
        onsite = z * z
        onsite *= self.lam
        onsite += 2 + self.sigma
        onsite *= z
        k -= onsite
        return k

    def neighbours(self, z: np.ndarray) -> np.ndarray:
        """phi_{x-1} + phi_{x+1}, periodic, for fields z (..., L). Shifts the flattened fields by one
        (long contiguous operations) and then sets the two edge columns, which the shift took from
        the neighbouring field, anew: faster than slicing the short site axis."""
        flat = np.ascontiguousarray(z).reshape(-1, self.L)
        if self.L == 1:
            return (2 * flat).reshape(z.shape)
        k = np.empty_like(flat)
        kf, zf = k.reshape(-1), flat.reshape(-1)
        kf[1:] = zf[:-1]
        k[:, 0] = flat[:, -1]
        kf[:-1] += zf[1:]
        k[:, -1] = flat[:, -2] + flat[:, 0]
        return k.reshape(z.shape)


def make_action(model: str, A: float, B: float, lam: float | None = None, L: int | None = None,
                lam_im: float = 0.0) -> Polynomial | Chain:
    """The action of a config point: sigma = A + iB (and lambda = lam + i lam_im for the quartic model,
    lam and L for the chain)."""
    if model == "chain":
        return Chain(complex(A, B), float(lam), int(L))
    if model == "gaussian":
        if lam is not None or lam_im:
            raise ValueError("the gaussian model takes no 'lam' or 'lam_im'")
        return Gaussian(complex(A, B))
    if model == "quartic":
        if lam is None:
            raise ValueError("quartic model needs 'lam'")
        return Quartic(complex(A, B), complex(lam, lam_im) if lam_im else float(lam))
    raise ValueError(f"unknown model {model!r} (expected 'gaussian', 'quartic' or 'chain')")
