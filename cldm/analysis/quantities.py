"""The contract of results/{point}/moments.csv: its columns, and the quantities its rows hold.

Each row is one estimator's value of one quantity of z: `quantity` is `moment` (<z^n>, n = 1..NMAX)
or `cumulant` (kappa_n, n in CUMULANT_NS); `estimator` is `exact`, `CL` or a DM estimator's name.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["quantity", "n", "estimator", "re", "re_err", "im", "im_err"]
MOMENT, CUMULANT = "moment", "cumulant"
NMAX = 8
"""Moments <z^n>, n = 1..NMAX."""
CUMULANT_NS = (2, 4, 6, 8)
"""Cumulants kappa_n reported: the even ones up to NMAX (the odd ones vanish by the symmetry z -> -z)."""


def select(table: pd.DataFrame, quantity: str) -> pd.DataFrame:
    """The rows of one quantity (MOMENT or CUMULANT), columns n, estimator, re, re_err, im, im_err."""
    return table[table.quantity == quantity].drop(columns="quantity").reset_index(drop=True)
