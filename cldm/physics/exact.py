"""Exact results: Gaussian and quartic moments, the Gaussian CL distribution, the CL strip."""

from __future__ import annotations

import numpy as np
from scipy import integrate, special


def gaussian_moment(sigma: complex, n: int) -> complex:
    """<z^n> = (n-1)!! / sigma^(n/2) for even n, 0 for odd n."""
    if n % 2:
        return 0j
    return complex(special.factorial2(n - 1, exact=True) / sigma ** (n // 2))


def gaussian_monomial_means(mean: np.ndarray, cov: np.ndarray, degree: int) -> dict[tuple[int, int], float]:
    """E x^a y^b, 0 < a + b <= degree, for (x, y) ~ N(mean, cov): Gauss-Hermite quadrature with
    degree // 2 + 1 nodes per axis after (x, y) = mean + L xi, exact for polynomials of this degree."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(degree // 2 + 1)
    xi = np.stack(np.meshgrid(nodes, nodes, indexing="ij")).reshape(2, -1)
    x, y = np.asarray(mean, dtype=float)[:, None] + np.linalg.cholesky(cov) @ xi
    w = np.outer(weights, weights).ravel() / weights.sum() ** 2
    return {(a, b): float(w @ (x**a * y**b)) for a, b in monomials(degree)}


def monomials(degree: int) -> list[tuple[int, int]]:
    """Exponents (a, b) of x^a y^b with 0 < a + b <= degree."""
    return [(a, d - a) for d in range(1, degree + 1) for a in range(d, -1, -1)]


def gaussian_cl_matrix(A: float, B: float) -> np.ndarray:
    """M of the stationary CL density P(x, y) ∝ exp(-(x, y) M (x, y)^T).

    alpha = A, beta = A (1 + 2A^2/B^2), gamma = A^2/B (B != 0).
    """
    alpha, beta, gamma = A, A * (1 + 2 * A**2 / B**2), A**2 / B
    return np.array([[alpha, gamma], [gamma, beta]])


def gaussian_cl_covariance(A: float, B: float) -> np.ndarray:
    """Covariance of (x, y) under P(x, y): C = M^-1 / 2; for B = 0 CL stays real, <x^2> = 1/2A."""
    if B == 0:
        return np.diag([1 / (2 * A), 0.0])
    return np.linalg.inv(gaussian_cl_matrix(A, B)) / 2


def quartic_logZ(sigma: complex, lam: float) -> complex:
    """ln Z, Z = ∫ exp(-sigma x^2/2 - lam x^4/4) dx = sqrt(sigma/2lam) e^u K_{1/4}(u), u = sigma^2/8lam."""
    u = sigma**2 / (8 * lam)
    return 0.5 * np.log(sigma / (2 * lam)) + u + np.log(special.kv(0.25, u))


def quartic_moments(sigma: complex, lam: float, nmax: int = 8) -> dict[int, complex]:
    """<z^n>, n = 1..nmax, from Z via K_{1/4} and the Schwinger-Dyson recursion.

    <z^2> = -2 d ln Z / d sigma; then sigma <z^n> + lam <z^(n+2)> = (n-1) <z^(n-2)>.
    """
    u = sigma**2 / (8 * lam)
    dlogZ = 1 / (2 * sigma) + sigma / (4 * lam) * (1 + special.kvp(0.25, u) / special.kv(0.25, u))
    m = {0: 1 + 0j, 2: complex(-2 * dlogZ)}
    for n in range(2, nmax, 2):
        m[n + 2] = ((n - 1) * m[n - 2] - sigma * m[n]) / lam
    return {n: (m[n] if n % 2 == 0 else 0j) for n in range(1, nmax + 1)}


def quartic_moment_quad(sigma: complex, lam: float, n: int) -> complex:
    """<z^n> by quadrature of x^n exp(-S(x)) along the real axis (cross-check)."""

    def weight(x: float) -> complex:
        return np.exp(-sigma * x**2 / 2 - lam * x**4 / 4)

    def integral(f) -> complex:
        re = integrate.quad(lambda x: f(x).real, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)[0]
        im = integrate.quad(lambda x: f(x).imag, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)[0]
        return complex(re, im)

    return integral(lambda x: x**n * weight(x)) / integral(weight)


def exact_moments(model: str, A: float, B: float, lam: float | None = None, nmax: int = 8) -> dict[int, complex]:
    """<z^n>, n = 1..nmax, for a config point."""
    sigma = complex(A, B)
    if model == "gaussian":
        return {n: gaussian_moment(sigma, n) for n in range(1, nmax + 1)}
    return quartic_moments(sigma, lam, nmax)


def strip_bounds(A: float, B: float, lam: float) -> tuple[float, float] | None:
    """y_± = sqrt(A/2lam (1 ± sqrt(1 - B^2/3A^2))); CL stays in |y| < y_- when B^2 < 3A^2.

    Returns None where B^2 >= 3A^2: there is no strip and CL may converge to wrong results.
    """
    disc = 1 - B**2 / (3 * A**2)
    if disc <= 0:
        return None
    root = np.sqrt(disc)
    return float(np.sqrt(A / (2 * lam) * (1 - root))), float(np.sqrt(A / (2 * lam) * (1 + root)))


def point_strip(physics: dict) -> tuple[float, float] | None:
    """(y-, y+) of a config point's strip: a quartic point with B^2 < 3A^2, or a chain with lam > 0,
    A > 0 and B^2 < 3A^2 (the one-site strip bounds every site of a chain: docs/chain.md); None otherwise."""
    if physics["model"] == "chain" and physics["lam"] > 0 and physics["A"] > 0 or physics["model"] == "quartic":
        return strip_bounds(physics["A"], physics["B"], physics["lam"])
    return None


def strip_edge(physics: dict) -> float | None:
    """y- of a point with a strip |y| < y-, else None."""
    strip = point_strip(physics)
    return None if strip is None else strip[0]
