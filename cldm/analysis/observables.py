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

from cldm.analysis.stats import control_variate_means, iid_mean_error, mean_error, random_effects
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


def gaussian_values(mean: np.ndarray, cov: np.ndarray) -> dict[Key, complex]:
    """The value of every row for fields whose rows (x_0, y_0, x_1, y_1, ...) are Gaussian with
    `mean` (2L,) and `cov` (2L, 2L) (e.g. the law of a sampler's reference path).

    Each phi_x and M = sum_x phi_x / sqrt(L) is a complex linear form l of the real Gaussian rows,
    with mean mu and v = E(l - mu)^2 (no conjugate), so by Isserlis <l^2> = v + mu^2 and
    <l^4> = 3 v^2 + 6 mu^2 v + mu^4; G(r) from the cross terms likewise."""
    L = len(mean) // 2
    forms = np.kron(np.eye(L), [1.0, 1j])  # row x: the form of phi_x
    mu, c = forms @ mean, forms @ cov @ forms.T
    v = np.diag(c)
    values = {("phi", 2): np.mean(v + mu**2), ("phi", 4): np.mean(3 * v**2 + 6 * mu**2 * v + mu**4)}
    values |= {("G", r): np.mean(np.diag(np.roll(c, -r, axis=1)) + mu * np.roll(mu, -r)) for r in range(L // 2 + 1)}
    mu_m, v_m = mu.sum() / np.sqrt(L), c.sum() / L
    m2, m4 = v_m + mu_m**2, 3 * v_m**2 + 6 * mu_m**2 * v_m + mu_m**4
    values |= {("chi", 0): m2, ("M", 2): m2, ("M", 4): m4, ("kappa_M", 4): m4 - 3 * m2**2}
    return {k: complex(x) for k, x in values.items()}


def cv_sample_rows(phi: np.ndarray, phi_ref: np.ndarray, ref_mean: np.ndarray, ref_cov: np.ndarray,
                   estimator: str) -> pd.DataFrame:
    """Rows of `estimator` from independent samples phi (N, L), each paired with a reference sample
    phi_ref (N, L) of a known Gaussian law (ref_mean, ref_cov), driven by the same noise (the
    samplers' reference path): for every row the reference's series (Re and Im) are its regression
    control variates (cldm.analysis.stats.control_variate_means), with the known means of
    `gaussian_values`. kappa_M takes the value of the controlled <M^4> and <M^2>, and the error of
    its linearised series M^4 - 6 <M^2> M^2 controlled by the reference's M^4 and M^2."""
    f, g, known = _series(phi), _series(phi_ref), gaussian_values(ref_mean, ref_cov)

    def controlled(series: np.ndarray, controls: list[Key]) -> tuple[np.ndarray, np.ndarray]:
        cols = np.stack([c for k in controls for c in (g[k].real, g[k].imag)], axis=1)
        means = np.array([x for k in controls for x in (known[k].real, known[k].imag)])
        return control_variate_means(np.stack([series.real, series.imag], axis=1), cols, means)

    rows, values = [], {}
    for key in f:
        (re, im), (re_err, im_err) = controlled(f[key], [key])
        values[key] = complex(re, im)
        rows.append(dict(observable=key[0], n=key[1], estimator=estimator, re=re, re_err=re_err, im=im, im_err=im_err))
    m2 = values[("M", 2)]
    _, (re_err, im_err) = controlled(f[("M", 4)] - 6 * m2 * f[("M", 2)], [("M", 4), ("M", 2)])
    kappa = values[("M", 4)] - 3 * m2**2
    rows.append(dict(observable="kappa_M", n=4, estimator=estimator, re=kappa.real, re_err=re_err, im=kappa.imag,
                     im_err=im_err))
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
            shares: list[np.ndarray] | None = None, cl_rows: pd.DataFrame | None = None,
            refs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """DM rows of an ensemble's samples phi_dm (N, L), `member` the model of each sample: i.i.d.
    errors per member (with refs = (phi_ref (N, L), ref_mean (K, 2L), ref_cov (K, 2L, 2L)), the
    reference samples and their Gaussian law per member, controlled by them: `cv_sample_rows`),
    pooled by random effects over the members' deviations from their own CL data (member k learned
    from the chains shares[k] of phi_cl, whose CL errors are cl_rows' scaled by
    sqrt(chains / |shares[k]|): the chains are independent); without CL data (another L than the
    data's), over the members' values."""
    if refs is None:
        members = [sample_rows(phi_dm[member == k], "DM", iid_mean_error) for k in np.unique(member)]
    else:
        phi_ref, ref_mean, ref_cov = refs
        members = [cv_sample_rows(phi_dm[member == k], phi_ref[member == k], ref_mean[i], ref_cov[i], "DM")
                   for i, k in enumerate(np.unique(member))]
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
                      member: np.ndarray | None = None, shares: list[np.ndarray] | None = None,
                      refs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Exact and CL rows of a chain point, phi_cl of shape (chains, samples, L); and DM rows
    (`dm_rows`) where DM samples phi_dm (N, L) of the members `member`, trained on the chains
    `shares`, are given (with their reference samples and laws `refs`, if any)."""
    exact = chain_exact(physics["A"], physics["B"], physics["lam"], physics["L"])
    parts = [exact_rows(exact), sample_rows(phi_cl, "CL")]
    if phi_dm is not None:
        parts.append(dm_rows(phi_dm, member, phi_cl, shares, parts[1], refs))
    return pd.concat(parts, ignore_index=True)


def observable_pulls(table: pd.DataFrame, estimator: str) -> pd.DataFrame:
    """(estimate - exact) / error of the real and imaginary parts, indexed by (observable, n)."""
    ex = table[table.estimator == "exact"].set_index(["observable", "n"])
    est = table[table.estimator == estimator].set_index(["observable", "n"])
    return pd.DataFrame({part: (est[part] - ex[part]) / est[f"{part}_err"] for part in ("re", "im")}).loc[est.index]
