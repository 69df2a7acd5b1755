"""Observables of a periodic chain of L sites, exact and from samples with errors, in one table.

The table has the columns of moments.csv plus a key: `observable,n,estimator,re,re_err,im,im_err`,
one row per (observable, n, estimator):

| observable | n | value |
|---|---|---|
| phi | 2, 4 | <phi^n>, averaged over the sites |
| G | r = 0..L//2 | G(r) = <phi_0 phi_r>, averaged over translations (G(r) = G(L - r)) |
| chi | 0 | chi = sum_{r=0}^{L-1} G(r) |
| M | 2, 4 | <M^n>, M = sum_x phi_x / sqrt(L) |
| kappa_M | 4 | kappa_4 of M = <M^4> - 3 <M^2>^2 (odd moments vanish by phi -> -phi) |

chi and <M^2> are the same number: sum_r (1/L) sum_x phi_x phi_{x+r} = (sum_x phi_x)^2 / L = M^2
configuration by configuration (both rows are kept: chi for the two-point function, M^2 for the
cumulant). Sample errors come from the Gamma method on each site-averaged series
(cldm.analysis.stats.mean_error); the error of kappa_4 is that of its linearisation
M^4 - 6 <M^2> M^2 (Wolff 2004, derived quantities).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cldm.analysis.stats import iid_mean_error, mean_error, random_effects
from cldm.physics.chain_exact import ChainExact, chain_exact

COLUMNS = ["observable", "n", "estimator", "re", "re_err", "im", "im_err"]
Key = tuple[str, int]
Estimate = Callable[[np.ndarray], tuple[float, float, float]]
CHUNK = 256  # leading rows (chains, or samples) per block when computing the series


def observable_keys(L: int) -> list[Key]:
    """(observable, n) of every row of a chain of L sites, in table order."""
    return [("phi", 2), ("phi", 4), *(("G", r) for r in range(L // 2 + 1)), ("chi", 0), ("M", 2), ("M", 4),
            ("kappa_M", 4)]


def observable_series(phi: np.ndarray) -> dict[Key, np.ndarray]:
    """Each observable but kappa_M per configuration: complex arrays of shape phi.shape[:-1], for
    fields phi of shape (..., L) (e.g. CL chains (chains, samples, L) or DM samples (N, L))."""
    L = phi.shape[-1]
    phi2 = phi * phi
    m2 = phi.sum(axis=-1) ** 2 / L
    series = {("phi", 2): phi2.mean(axis=-1), ("phi", 4): (phi2 * phi2).mean(axis=-1)}
    series |= {("G", r): (phi * np.roll(phi, -r, axis=-1)).mean(axis=-1) for r in range(L // 2 + 1)}
    return series | {("chi", 0): m2, ("M", 2): m2, ("M", 4): m2 * m2}


def sample_rows(phi: np.ndarray, estimator: str, estimate: Estimate = mean_error) -> pd.DataFrame:
    """Rows of `estimator` from samples phi (..., L). `estimate(series) -> (mean, err, tau)` gives a
    real series' mean and error: the Gamma method for Markov chains of shape (chains, samples)
    (the default), or an i.i.d. estimate for independent samples."""
    series = _series(phi)
    rows = [_row(key, estimator, s, estimate) for key, s in series.items()]
    m2 = complex(series[("M", 2)].mean())
    rows.append(_row(("kappa_M", 4), estimator, series[("M", 4)] - 6 * m2 * series[("M", 2)], estimate,
                     value=complex(series[("M", 4)].mean()) - 3 * m2**2))
    return pd.DataFrame(rows, columns=COLUMNS)


def _series(phi: np.ndarray) -> dict[Key, np.ndarray]:
    """observable_series of phi, built CHUNK leading rows at a time (bounded temporaries)."""
    blocks = [observable_series(phi[i : i + CHUNK]) for i in range(0, len(phi), CHUNK)]
    return {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}


def sample_means(phi: np.ndarray) -> dict[Key, complex]:
    """The sample value of every row (kappa_M = <M^4> - 3 <M^2>^2 from the sample moments), without
    errors: e.g. the values of the CL data one ensemble member learned from."""
    sums = {}
    for i in range(0, len(phi), CHUNK):
        for key, s in observable_series(phi[i : i + CHUNK]).items():
            sums[key] = sums.get(key, 0) + complex(s.sum())
    n = np.prod(phi.shape[:-1])
    means = {key: v / n for key, v in sums.items()}
    return means | {("kappa_M", 4): means[("M", 4)] - 3 * means[("M", 2)] ** 2}


def pooled_rows(members: list[pd.DataFrame], estimator: str, data: list[dict[Key, complex]] | None = None,
                data_errors: pd.DataFrame | None = None, scale: np.ndarray | None = None) -> pd.DataFrame:
    """One row per key pooling the members' rows (each from `sample_rows`) by random effects
    (`cldm.analysis.stats.random_effects`, as the DM moments of one variable): over the members'
    deviations from the values `data[k]` of the data member k learned from, whose errors are the
    rows `data_errors` (the CL rows of all chains) times scale[k] (sqrt(chains / chains of member
    k)); without data, over the members' values."""
    keyed = [m.set_index(["observable", "n"]) for m in members]
    errs = None if data_errors is None else data_errors.set_index(["observable", "n"])
    rows = []
    for key in keyed[0].index:
        row = dict(observable=key[0], n=key[1], estimator=estimator)
        for part in ("re", "im"):
            values = [m.loc[key, part] for m in keyed]
            errors = [m.loc[key, f"{part}_err"] for m in keyed]
            if data is None:
                pooled = random_effects(values, errors)
            else:
                d = [getattr(v[key], "real" if part == "re" else "imag") for v in data]
                pooled = random_effects(values, errors, d, errs.loc[key, f"{part}_err"] * np.asarray(scale))
            row.update({part: pooled["mean"], f"{part}_err": pooled["err"]})
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def dm_rows(phi_dm: np.ndarray, member: np.ndarray, phi_cl: np.ndarray | None = None,
            shares: list[np.ndarray] | None = None, cl_rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """DM rows of an ensemble's samples phi_dm (N, L), `member` the model of each sample: i.i.d.
    errors per member, pooled by random effects over the members' deviations from their own CL data
    (member k learned from the chains shares[k] of phi_cl, whose CL errors are cl_rows' scaled by
    sqrt(chains / |shares[k]|): the chains are independent); without CL data (another L than the
    data's), over the members' values."""
    members = [sample_rows(phi_dm[member == k], "DM", iid_mean_error) for k in np.unique(member)]
    if phi_cl is None:
        return pooled_rows(members, "DM")
    data = [sample_means(phi_cl[s]) for s in shares]
    scale = np.sqrt(len(phi_cl) / np.array([len(s) for s in shares]))
    return pooled_rows(members, "DM", data, cl_rows, scale)


def _row(key: Key, estimator: str, series: np.ndarray, estimate: Estimate, value: complex | None = None) -> dict:
    re, re_err, _ = estimate(series.real)
    im, im_err, _ = estimate(series.imag)
    if value is not None:  # a derived quantity: its value, the error of its linearised series
        re, im = value.real, value.imag
    return dict(observable=key[0], n=key[1], estimator=estimator, re=re, re_err=re_err, im=im, im_err=im_err)


def exact_values(exact: ChainExact) -> dict[Key, complex]:
    """The exact value of every row."""
    values = {("phi", 2): exact.phi2, ("phi", 4): exact.phi4}
    values |= {("G", r): complex(exact.G[r]) for r in range(exact.L // 2 + 1)}
    return values | {("chi", 0): exact.chi, ("M", 2): exact.M2, ("M", 4): exact.M4, ("kappa_M", 4): exact.kappa4}


def exact_rows(exact: ChainExact) -> pd.DataFrame:
    rows = [dict(observable=k[0], n=k[1], estimator="exact", re=v.real, re_err=0.0, im=v.imag, im_err=0.0)
            for k, v in exact_values(exact).items()]
    return pd.DataFrame(rows, columns=COLUMNS)


def observables_table(physics: dict, phi_cl: np.ndarray, phi_dm: np.ndarray | None = None,
                      member: np.ndarray | None = None, shares: list[np.ndarray] | None = None) -> pd.DataFrame:
    """Exact and CL rows of a chain point, phi_cl of shape (chains, samples, L); and DM rows
    (`dm_rows`) where DM samples phi_dm (N, L) of the members `member`, trained on the chains
    `shares`, are given."""
    exact = chain_exact(physics["A"], physics["B"], physics["lam"], physics["L"])
    parts = [exact_rows(exact), sample_rows(phi_cl, "CL")]
    if phi_dm is not None:
        parts.append(dm_rows(phi_dm, member, phi_cl, shares, parts[1]))
    return pd.concat(parts, ignore_index=True)


def observable_pulls(table: pd.DataFrame, estimator: str) -> pd.DataFrame:
    """(estimate - exact) / error of the real and imaginary parts, indexed by (observable, n)."""
    ex = table[table.estimator == "exact"].set_index(["observable", "n"])
    est = table[table.estimator == estimator].set_index(["observable", "n"])
    return pd.DataFrame({part: (est[part] - ex[part]) / est[f"{part}_err"] for part in ("re", "im")}).loc[est.index]
