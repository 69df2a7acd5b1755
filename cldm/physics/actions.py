"""Polynomial actions S(z) with complex couplings and their Langevin drift K = -dS/dz."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial import polynomial as P


@dataclass(frozen=True)
class Polynomial:
    """S(z) = sum_k c_k z^k; drift K(z) = -sum_k k c_k z^(k-1)."""

    coeffs: tuple[complex, ...]

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


def make_action(model: str, A: float, B: float, lam: float | None = None, lam_im: float = 0.0) -> Polynomial:
    """The action of a config point: sigma = A + iB (and lambda = lam + i lam_im for the quartic model)."""
    if model == "gaussian":
        if lam is not None or lam_im:
            raise ValueError("the gaussian model takes no 'lam' or 'lam_im'")
        return Gaussian(complex(A, B))
    if model == "quartic":
        if lam is None:
            raise ValueError("quartic model needs 'lam'")
        return Quartic(complex(A, B), complex(lam, lam_im) if lam_im else float(lam))
    raise ValueError(f"unknown model {model!r} (expected 'gaussian' or 'quartic')")
