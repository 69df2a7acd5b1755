"""Shared test helpers."""

import numpy as np


def pull_report(rows: list[tuple]) -> str:
    """Rows (name, value, exact, error) as text, for assertion messages."""
    return "\n".join(f"{name}: {v:.6f} vs {e:.6f} +- {s:.6f} (pull {(v - e) / s:+.2f})" for name, v, e, s in rows)


def covariance_rows(x: np.ndarray, cov: np.ndarray, label: str) -> list[tuple]:
    """Sample second moments of rows x (mean 0) against the covariance `cov`, with their errors:
    Var(x_i x_j) = C_ii C_jj + C_ij^2 for Gaussian x."""
    n = len(x)
    return [(f"{label} C[{i}{j}]", np.mean(x[:, i] * x[:, j]), cov[i, j],
             np.sqrt((cov[i, i] * cov[j, j] + cov[i, j] ** 2) / n)) for i, j in [(0, 0), (1, 1), (0, 1)]]
