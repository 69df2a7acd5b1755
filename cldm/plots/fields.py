"""Vector fields on a grid in the (x, y) plane: the CL drift, the learned score, curl, line integrals.

Arrays on the grid are indexed [j, i] for the point (x_i, y_j), as matplotlib's imshow and
streamplot expect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from cldm.coords import to_complex, to_xy
from cldm.physics.chain_exact import gaussian_chain_cl_covariance
from cldm.physics.exact import gaussian_cl_matrix, strip_edge

if TYPE_CHECKING:  # torch only where a model is evaluated, not for plotting
    from cldm.physics.actions import Polynomial
    from cldm.dm.energy import EnergyNet
    from cldm.dm.model import ScoreNet


def grid(xmax: float, ymax: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bin edges and centres of n x n equal cells on [-xmax, xmax] x [-ymax, ymax]: (xe, ye, x, y)."""
    xe, ye = np.linspace(-xmax, xmax, n + 1), np.linspace(-ymax, ymax, n + 1)
    return xe, ye, (xe[1:] + xe[:-1]) / 2, (ye[1:] + ye[:-1]) / 2


def extent(z: np.ndarray, y_minus: float | None = None, q: float = 0.999, pad: float = 1.2) -> tuple[float, float]:
    """(xmax, ymax) = pad x the q-quantiles of |x| and |y| of samples z = x + iy; ymax also covers
    the strip edge 1.1 y_- and at least xmax / 20 (CL with B = 0 stays on the real axis)."""
    xmax = pad * float(np.quantile(np.abs(z.real), q))
    return xmax, max(pad * float(np.quantile(np.abs(z.imag), q)), 1.1 * (y_minus or 0), xmax / 20)


def sample_grid(z: np.ndarray, physics: dict, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float | None]:
    """The n x n plotting grid of a point's samples z: (xe, ye, x, y) of `grid`, and y_- or None."""
    y_minus = strip_edge(physics)
    return (*grid(*extent(z, y_minus), n), y_minus)


def histogram(z: np.ndarray, xe: np.ndarray, ye: np.ndarray) -> np.ndarray:
    """Density of samples z = x + iy on the grid cells, [j, i] for cell (x_i, y_j)."""
    return np.histogram2d(z.real, z.imag, bins=(xe, ye), density=True)[0].T


def gaussian_log_density(M: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log P(x, y) = -(x, y) M (x, y)^T + const on the grid (the Gaussian CL density)."""
    X, Y = np.meshgrid(x, y)
    return -(M[0, 0] * X**2 + 2 * M[0, 1] * X * Y + M[1, 1] * Y**2)


def exact_density(physics: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """The Gaussian CL density P(x, y) normalised on the grid cells (for the Gaussian chain, that of
    one site); None where unknown (quartic, lam > 0, B = 0)."""
    if physics["B"] == 0 or physics["model"] == "quartic" or physics["model"] == "chain" and physics["lam"] != 0:
        return None
    if physics["model"] == "chain":
        L = physics["L"]
        site = gaussian_chain_cl_covariance(physics["A"], physics["B"], L)[np.ix_([0, L], [0, L])]
        M = np.linalg.inv(site) / 2
    else:
        M = gaussian_cl_matrix(physics["A"], physics["B"])
    logp = gaussian_log_density(M, x, y)
    return normalised_density(logp, x[1] - x[0], y[1] - y[0])


def vector_field(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F_x, F_y)[j, i] = f((x_i, y_j)) for f mapping points of shape (N, 2) to vectors of shape (N, 2)."""
    X, Y = np.meshgrid(x, y)
    F = f(np.stack([X.ravel(), Y.ravel()], axis=1))
    return F[:, 0].reshape(X.shape), F[:, 1].reshape(X.shape)


def drift(action: Polynomial) -> Callable[[np.ndarray], np.ndarray]:
    """The CL drift (Re K, Im K)(x, y), K(z) = -S'(z) at z = x + iy."""

    def f(xy: np.ndarray) -> np.ndarray:
        K = action.drift(to_complex(xy))
        return to_xy(K)

    return f


def score(model: ScoreNet, t: float) -> Callable[[np.ndarray], np.ndarray]:
    """The learned score s_theta(x, y, t) = grad log p_t in data coordinates."""

    def f(xy: np.ndarray) -> np.ndarray:
        return model.data_score(model.mean.new_tensor(xy), model.mean.new_tensor(t)).detach().double().numpy()

    return f


def energy(model: EnergyNet, t: float) -> Callable[[np.ndarray], np.ndarray]:
    """The learned energy E_theta(x, y, t) = -log P_theta + const (the whitening's Jacobian is a
    constant), of points of shape (N, 2)."""

    def f(xy: np.ndarray) -> np.ndarray:
        u = model.standardize(model.mean.new_tensor(xy))
        return model.energy(u, model.mean.new_tensor(t)).detach().double().numpy()

    return f


def grid_values(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """F[j, i] = f((x_i, y_j)) for f mapping points of shape (N, 2) to numbers of shape (N,)."""
    X, Y = np.meshgrid(x, y)
    return f(np.stack([X.ravel(), Y.ravel()], axis=1)).reshape(X.shape)


def curl(fx: np.ndarray, fy: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """curl F = dF_y/dx - dF_x/dy by second-order finite differences (one-sided at the edges)."""
    return np.gradient(fy, dx, axis=1, edge_order=2) - np.gradient(fx, dy, axis=0, edge_order=2)


def divergence(fx: np.ndarray, fy: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """div F = dF_x/dx + dF_y/dy by second-order finite differences (one-sided at the edges)."""
    return np.gradient(fx, dx, axis=1, edge_order=2) + np.gradient(fy, dy, axis=0, edge_order=2)


def log_density_from_score(sx: np.ndarray, sy: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """log p up to a constant from its score s = grad log p, by the line integral from the centre (x_c, y_c):

    log p(x, y) = int_{x_c}^{x} s_x(x', y_c) dx' + int_{y_c}^{y} s_y(x, y') dy'  (cumulative trapezoid),
    which is exact for a gradient field, whatever the path.
    """
    ic, jc = sx.shape[1] // 2, sx.shape[0] // 2
    from scipy.integrate import cumulative_trapezoid  # here alone: 1 s of every figure job's import

    row = cumulative_trapezoid(sx[jc], dx=dx, initial=0)
    cols = cumulative_trapezoid(sy, dx=dy, axis=0, initial=0)
    return (row - row[ic])[None, :] + cols - cols[jc]


def normalised_density(logp: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """p = exp(log p) / sum(exp(log p) dx dy) on the grid (Z by the midpoint rule over the grid
    cells; for log p = -E_theta, the explicit density of an energy model)."""
    p = np.exp(logp - logp.max())
    return p / (p.sum() * dx * dy)


def total_variation(p: np.ndarray, q: np.ndarray, dx: float, dy: float) -> float:
    """TV(p, q) = 1/2 sum |p - q| dx dy of two densities on the same grid."""
    return float(0.5 * np.abs(p - q).sum() * dx * dy)
