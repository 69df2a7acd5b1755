"""The slowest relaxation rate of the Langevin evolution of holomorphic observables, from the
spectrum of the Fokker-Planck operator of the exact weight along the real line."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import eigs

from cldm.physics.exact import real_line_extent

SPECTRUM_DEPTH = 40.0
"""The grid of `relaxation_rate` ends where exp(-Re S/2) has fallen by e^-SPECTRUM_DEPTH."""
SPECTRUM_CELLS = 2000
"""Cells of that grid (second-order finite differences: relative error ~1e-5 on kappa)."""


def relaxation_rate(sigma: complex, lam: complex) -> complex:
    """kappa: the slowest rate of e^(tau L) on even observables, the eigenvalue of -L nearest 0
    after 0 itself in the even sector.

    With P = e^(-S/2) psi, the Fokker-Planck operator L^T P = d/dx (dP/dx + S' P) of the exact
    weight becomes -H psi, H = -d^2/dx^2 + S'^2/4 - S''/2 (complex potential), whose spectrum is
    that of -L on holomorphic observables: 0 (psi = e^(-S/2)), then kappa_1 (odd), kappa_2 (even),
    ... Discretised on even functions over [0, X] (cell centres, psi(-x) = psi(x), psi(X) = 0),
    second-order differences. Gaussian (lam = 0): kappa = 2 sigma exactly."""
    sigma, lam = complex(sigma), complex(lam)
    if lam == 0:
        return 2 * sigma
    X, _ = real_line_extent(sigma, lam, 2 * SPECTRUM_DEPTH)
    h = X / SPECTRUM_CELLS
    x = (np.arange(SPECTRUM_CELLS) + 0.5) * h
    s1, s2 = sigma * x + lam * x**3, sigma + 3 * lam * x**2
    diag = 2 / h**2 + s1**2 / 4 - s2 / 2
    diag[0] -= 1 / h**2  # the mirror cell of the first is itself (even functions)
    off = np.full(SPECTRUM_CELLS - 1, -1 / h**2, dtype=complex)
    H = sparse.diags([off, diag, off], [-1, 0, 1], format="csc")
    values = eigs(H, k=3, sigma=0, which="LM", v0=np.ones(SPECTRUM_CELLS, dtype=complex), tol=1e-9,
                  return_eigenvectors=False)  # v0 fixed: ARPACK starts from a random vector otherwise
    values = values[np.argsort(values.real)]
    return complex(values[1])
