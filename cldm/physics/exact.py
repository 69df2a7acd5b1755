"""Exact results: Gaussian and quartic moments, the Gaussian CL distribution, the CL strip."""

from __future__ import annotations

import math

import numpy as np


def gaussian_moment(sigma: complex, n: int) -> complex:
    """<z^n> = (n-1)!! / sigma^(n/2) for even n, 0 for odd n."""
    if n % 2:
        return 0j
    return complex(math.prod(range(n - 1, 0, -2)) / sigma ** (n // 2))


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


def quartic_logZ(sigma: complex, lam: complex) -> complex:
    """ln Z, Z = ∫ exp(-sigma x^2/2 - lam x^4/4) dx = sqrt(sigma/2lam) e^u K_{1/4}(u), u = sigma^2/8lam
    (principal branches: valid where `bessel_applies`)."""
    u = sigma**2 / (8 * lam)
    from scipy import special  # scipy where it is used: this module is imported by every job (0.6 s)

    return 0.5 * np.log(sigma / (2 * lam)) + u + np.log(special.kv(0.25, u))


def bessel_applies(sigma: complex, lam: complex) -> bool:
    """Whether the K_{1/4} form of Z holds with principal branches: Re sigma > 0, Re lam > 0 and
    |2 arg sigma - arg lam| < pi. Then the path from real positive couplings to (sigma, lam) that
    turns arg sigma, then arg lam, never takes u = sigma^2/8lam or sigma/lam across the negative
    real axis, where K_nu and the square root have their cuts; outside (A <= 0, or a large
    arg lam against arg sigma) the principal-branch formula is a different function."""
    sigma, lam = complex(sigma), complex(lam)
    return sigma.real > 0 and lam.real > 0 and abs(2 * np.angle(sigma) - np.angle(lam)) < np.pi


def quartic_moments(sigma: complex, lam: complex, nmax: int = 8) -> dict[int, complex]:
    """<z^n>, n = 1..nmax, from Z via K_{1/4} and the Schwinger-Dyson recursion (where `bessel_applies`).

    <z^2> = -2 d ln Z / d sigma; then sigma <z^n> + lam <z^(n+2)> = (n-1) <z^(n-2)>.
    """
    from scipy import special

    u = sigma**2 / (8 * lam)
    dlogZ = 1 / (2 * sigma) + sigma / (4 * lam) * (1 + special.kvp(0.25, u) / special.kv(0.25, u))
    m = {0: 1 + 0j, 2: complex(-2 * dlogZ)}
    for n in range(2, nmax, 2):
        m[n + 2] = ((n - 1) * m[n - 2] - sigma * m[n]) / lam
    return {n: (m[n] if n % 2 == 0 else 0j) for n in range(1, nmax + 1)}


QUAD_NODES = 40
"""Gauss-Legendre nodes per panel of `quartic_moments_quadrature`."""
QUAD_DEPTH = 50.0
"""The integration range ends where |x^n exp(-S(x))| has fallen by e^-QUAD_DEPTH below its peak."""
QUAD_TOL = 1e-9
MAX_PANELS = 20_000
"""The most Gauss-Legendre panels of the coarse pass (the fine pass doubles them): bounds its memory."""
"""Largest accepted refinement change and Schwinger-Dyson residual of the quadrature, relative."""


def real_line_extent(sigma: complex, lam: complex, depth: float) -> tuple[float, float]:
    """(X, peak): |exp(-S(x))| = exp(-A x^2/2 - Re lam x^4/4) peaks at e^peak (x^2 = -A/Re lam if
    A < 0, else x = 0) and for |x| > X lies below e^(peak - depth) (Re lam > 0; lam = 0: Gaussian, A > 0)."""
    a, lr = complex(sigma).real, complex(lam).real
    if lr == 0:
        return float(np.sqrt(2 * depth / a)), 0.0
    peak = a * a / (4 * lr) if a < 0 else 0.0
    t = (-a + np.sqrt(a * a + 4 * lr * (depth + peak))) / lr  # lr t^2/4 + a t/2 = depth - peak, t = X^2
    return float(np.sqrt(t)), peak


def _quartic_integrals(sigma: complex, lam: complex, nmax: int, panels: int) -> np.ndarray:
    """I_n for even n = 0..nmax, I_n = 2 ∫_0^X x^n exp(-S(x) - peak) dx (the integrand is even), by
    composite Gauss-Legendre over `panels` equal panels of [0, X]; X leaves out less than e^-QUAD_DEPTH
    of the peak, with a margin 1.1 for the growth of x^nmax."""
    X, peak = real_line_extent(sigma, lam, QUAD_DEPTH + 2 * nmax)
    nodes, weights = np.polynomial.legendre.leggauss(QUAD_NODES)
    edges = np.linspace(0, 1.1 * X, panels + 1)
    half = (edges[1] - edges[0]) / 2
    x = ((edges[:-1] + edges[1:]) / 2)[:, None] + half * nodes[None, :]
    w = (half * weights)[None, :] * np.exp(-sigma * x**2 / 2 - lam * x**4 / 4 - peak)
    return 2 * np.array([np.sum(w * x**n) for n in range(0, nmax + 1, 2)])


def _panels(sigma: complex, lam: complex, nmax: int) -> int:
    """Panels of [0, 1.1 X] that resolve the integrand: a quarter turn of the phase
    B x^2/2 + Im lam x^4/4, or a quarter e-fold of the modulus, per panel; at least 8."""
    X, _ = real_line_extent(sigma, lam, QUAD_DEPTH + 2 * nmax)
    t = (1.1 * X) ** 2
    change = (abs(sigma.imag) + abs(sigma.real)) * t / 2 + (abs(lam.imag) + lam.real) * t * t / 4
    return max(8, int(np.ceil(change / (np.pi / 2))))


def quartic_moments_quadrature(sigma: complex, lam: complex, nmax: int = 8) -> dict:
    """<z^n>, n = 1..nmax, by quadrature of x^n exp(-sigma x^2/2 - lam x^4/4) along the real line,
    valid for every Re lam > 0 and any sigma, with the checks that make it trustworthy.

    Returns moments {n: <z^n>} and the checks: `refinement`, the largest relative change of the
    <z^n> when the panels are doubled, and `schwinger_dyson`, the largest relative residual of
    sigma <z^n> + lam <z^(n+2)> = (n-1) <z^(n-2)> (integration by parts; the quadrature computes
    every moment independently, so the relations test it). Raises ValueError if either exceeds
    QUAD_TOL: then the cancellation in the oscillating integrand is too strong for float64.
    """
    sigma, lam = complex(sigma), complex(lam)
    if lam.real <= 0:
        raise ValueError(f"Re lambda = {lam.real} <= 0: the integral along the real line diverges")
    top = nmax + 2 + nmax % 2
    panels = _panels(sigma, lam, top)
    if panels > MAX_PANELS:  # the arrays would take more than ~100 MB (a point checked by the config too)
        raise ValueError(f"quadrature of the quartic moments at sigma = {sigma}, lambda = {lam} needs {panels:.3g} "
                         f"panels (more than {MAX_PANELS}): exp(-S) is too wide or oscillates too fast along the "
                         f"real line")
    with np.errstate(all="ignore"):
        coarse = _quartic_integrals(sigma, lam, top, panels)
        fine = _quartic_integrals(sigma, lam, top, 2 * panels)
        m, m_coarse = fine / fine[0], coarse / coarse[0]
    refinement = float(np.max(np.abs(m - m_coarse) / np.maximum(np.abs(m), 1e-300)))
    sd = [abs(sigma * m[k] + lam * m[k + 1] - (2 * k - 1) * m[k - 1]) /
          max(abs(sigma * m[k]), abs(lam * m[k + 1]), abs((2 * k - 1) * m[k - 1])) for k in range(1, len(m) - 1)]
    checks = dict(panels=2 * panels, refinement=refinement, schwinger_dyson=float(max(sd)))
    if not (refinement <= QUAD_TOL and checks["schwinger_dyson"] <= QUAD_TOL):  # NaN fails too
        raise ValueError(f"quadrature of the quartic moments at sigma = {sigma}, lambda = {lam} is not accurate: "
                         f"refinement {refinement:.1e}, Schwinger-Dyson residual {checks['schwinger_dyson']:.1e} "
                         f"(> {QUAD_TOL:g})")
    moments = {n: complex(m[n // 2]) if n % 2 == 0 else 0j for n in range(1, nmax + 1)}
    return dict(moments=moments, **checks)


def quartic_moment_quad(sigma: complex, lam: complex, n: int) -> complex:
    """<z^n> by adaptive quadrature (scipy.integrate.quad) of x^n exp(-S(x)) along the real axis: an
    independent cross-check of the other two forms."""

    def weight(x: float) -> complex:
        return np.exp(-sigma * x**2 / 2 - lam * x**4 / 4)

    from scipy import integrate

    def integral(f) -> complex:
        re = integrate.quad(lambda x: f(x).real, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
        im = integrate.quad(lambda x: f(x).imag, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
        return complex(re, im)

    return integral(lambda x: x**n * weight(x)) / integral(weight)


def exact_moments(model: str, A: float, B: float, lam: float | None = None, lam_im: float = 0.0,
                  nmax: int = 8) -> dict[int, complex]:
    """<z^n>, n = 1..nmax, for a config point: Gaussian closed form; quartic by the K_{1/4} form
    where it applies (`bessel_applies`) and is finite, else by checked quadrature along the real
    line (ValueError where that fails its checks)."""
    sigma = complex(A, B)
    if model == "gaussian":
        return {n: gaussian_moment(sigma, n) for n in range(1, nmax + 1)}
    lam_c = complex(lam, lam_im)
    if bessel_applies(sigma, lam_c):
        with np.errstate(all="ignore"):
            m = quartic_moments(sigma, lam_c if lam_im else lam, nmax)
        if all(np.isfinite(v) for v in m.values()):
            return m
    return quartic_moments_quadrature(sigma, lam_c, nmax)["moments"]


def point_errors(point: dict) -> list[tuple[str, str]]:
    """(key, message) if a config point's exact moments cannot be computed: the quadrature along the
    real line fails its refinement and Schwinger-Dyson checks where exp(-S) oscillates with an
    amplitude far above its integral (large -A and |B| against lam), or overflows (couplings near
    the largest float)."""
    try:
        with np.errstate(all="ignore"):
            exact_moments(**{k: point[k] for k in ("model", "A", "B", "lam", "lam_im") if k in point})
    except (ValueError, ArithmeticError) as err:
        return [("A", f"no exact moments at this point (A = {point['A']}, B = {point['B']}, lam = {point.get('lam')}, "
                      f"lam_im = {point.get('lam_im', 0)}): {err}; choose a smaller -A or |B|, or a larger lam")]
    return []


def strip_bounds(A: float, B: float, lam: float) -> tuple[float, float] | None:
    """y_± = sqrt(A/2lam (1 ± sqrt(1 - B^2/3A^2))); CL stays in |y| < y_- when B^2 < 3A^2 (A > 0,
    real lam > 0).

    Returns None where B^2 >= 3A^2: there is no strip and CL may converge to wrong results.
    """
    disc = 1 - B**2 / (3 * A**2)
    if disc <= 0:
        return None
    root = np.sqrt(disc)
    return float(np.sqrt(A / (2 * lam) * (1 - root))), float(np.sqrt(A / (2 * lam) * (1 + root)))


def point_strip(physics: dict) -> tuple[float, float] | None:
    """(y-, y+) of a config point's strip: a quartic point with A > 0, real lambda and B^2 < 3A^2, or a
    chain with lam > 0, A > 0 and B^2 < 3A^2 (the one-site strip bounds every site of a chain:
    docs/chain.md); None otherwise (Gaussian; A <= 0; complex lambda; no strip)."""
    if physics["model"] == "chain" and physics["lam"] > 0 and physics["A"] > 0:
        return strip_bounds(physics["A"], physics["B"], physics["lam"])
    if physics["model"] != "quartic" or physics["A"] <= 0 or physics.get("lam_im", 0):
        return None
    return strip_bounds(physics["A"], physics["B"], physics["lam"])


def strip_edge(physics: dict) -> float | None:
    """y- of a point with a strip |y| < y-, else None."""
    strip = point_strip(physics)
    return None if strip is None else strip[0]
