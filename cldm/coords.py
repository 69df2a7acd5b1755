"""One complex variable z = x + iy as a point (x, y) of the plane, and back."""

from __future__ import annotations

import numpy as np


def to_xy(z: np.ndarray) -> np.ndarray:
    """Points of shape (N, 2), N = z.size: column 0 is Re z, column 1 Im z (z flattened)."""
    z = np.asarray(z).ravel()
    return np.stack([z.real, z.imag], axis=1)


def to_complex(xy: np.ndarray) -> np.ndarray:
    """complex128 z = x + iy of points (..., 2)."""
    xy = np.asarray(xy, dtype=np.float64)
    return xy[..., 0] + 1j * xy[..., 1]
