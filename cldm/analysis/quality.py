"""Distribution-level agreement of DM and CL samples: sliced Wasserstein distance and the strip."""

from __future__ import annotations

import numpy as np

from cldm.coords import to_xy

N_DIRECTIONS = 64


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, n_directions: int = N_DIRECTIONS) -> float:
    """SW1(a, b) = mean over directions u of W1(a.u, b.u), for 2-D point sets of shape (N, 2).

    Directions are the fixed grid u = (cos theta, sin theta), theta = pi j / n; each 1-D W1 is the
    mean |Q_a(p) - Q_b(p)| over p = (i + 1/2)/m, m = min(len a, len b), Q the empirical quantile.
    """
    theta = np.pi * np.arange(n_directions) / n_directions
    u = np.stack([np.cos(theta), np.sin(theta)])
    m = min(len(a), len(b))
    p = (np.arange(m) + 0.5) / m
    return float(np.mean(np.abs(_quantiles(a @ u, p) - _quantiles(b @ u, p))))


def _quantiles(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Empirical quantiles Q(p) = x_(floor(p n)) of every column."""
    return np.sort(x, axis=0)[np.floor(p * len(x)).astype(int)]


def dm_quality(cl_held_out: np.ndarray, z_dm: np.ndarray, y_minus: float | None, seed: int) -> dict:
    """DM-vs-CL distance against the CL-CL floor, and the fraction of samples outside |y| < y-.

    cl_held_out has shape (chains, samples) and was seen by no model. Its chains are split in two
    halves A and B: the floor is SW(A, B); the DM distance is SW(D, A) with D a random subset of
    the DM samples of the size of B. A model that reproduces CL gives a ratio near 1 (at most
    about 1, since D is uncorrelated while B is made of autocorrelated chains).
    """
    rng = np.random.default_rng(seed)
    half = len(cl_held_out) // 2
    a, b = to_xy(cl_held_out[:half].ravel()), to_xy(cl_held_out[half:].ravel())
    d = to_xy(rng.choice(z_dm, size=len(b), replace=len(b) > len(z_dm)))
    floor, dist = sliced_wasserstein(a, b), sliced_wasserstein(d, a)
    return dict(
        sliced_wasserstein_dm_cl=dist,
        sliced_wasserstein_cl_cl=floor,
        ratio=dist / floor,
        n_held_out=int(cl_held_out.size),
        y_minus=y_minus,
        dm_fraction_outside_strip=_outside(z_dm, y_minus),
        cl_fraction_outside_strip=_outside(cl_held_out, y_minus),
    )


def _outside(z: np.ndarray, y_minus: float | None) -> float | None:
    return None if y_minus is None else float(np.mean(np.abs(z.imag) >= y_minus))
