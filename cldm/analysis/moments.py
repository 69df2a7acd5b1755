"""Moments and cumulants of a point, side by side: exact, CL (autocorrelated chains) and each DM
estimator (a model ensemble)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cldm.analysis.control_variates import CV_DEGREE, cv_moments
from cldm.analysis.cumulants import chain_cumulants, cumulants, exact_cumulants, sample_cumulants
from cldm.analysis.quantities import COLUMNS, CUMULANT, CUMULANT_NS, MOMENT, NMAX, select
from cldm.analysis.stats import moments, random_effects
from cldm.physics.exact import exact_moments

PARTS = ("re", "im")


@dataclass(frozen=True)
class Ensemble:
    """The samples of one DM estimator: z, the ensemble member that drew each (`member`), the CL
    chains each member learned from (shares[k] for member k) and, where the sampler moved reference
    paths, the reference samples z_ref, Gaussian N(ref_mean[k], ref_cov[k]) for member k."""

    z: np.ndarray
    member: np.ndarray
    shares: list[np.ndarray]
    z_ref: np.ndarray | None = None
    ref_mean: np.ndarray | None = None
    ref_cov: np.ndarray | None = None

    @classmethod
    def from_archive(cls, dm: dict, shares: list[np.ndarray]) -> Ensemble:
        """From a pooled sample archive (`cldm.io.load_samples`: z, member, and z_ref, ref_mean,
        ref_cov where the sampler wrote them)."""
        return cls(dm["z"], dm["member"], shares, dm.get("z_ref"), dm.get("ref_mean"), dm.get("ref_cov"))


def moment_tables(physics: dict, z_cl: np.ndarray, ensembles: dict[str, Ensemble]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table, budget): the contract table `quantity,n,estimator,re,re_err,im,im_err` (see
    cldm.analysis.quantities) of <z^n>, n = 1..NMAX, and kappa_n, n in CUMULANT_NS, for exact, CL
    and every DM estimator (ensembles: name -> samples), and the error budget behind it: CL
    tau_int; DM within-model, data and between-model parts.

    z_cl has shape (chains, samples). A DM estimator pools its members with a random-effects
    (Paule-Mandel) combination of their deviations from their own data (the moments and cumulants
    of the chains they learned from), whose CL error (the chains are i.i.d.: err_CL sqrt(chains /
    |share|)) enters as a known part. Cumulant errors carry the correlations between the moments
    (cldm.analysis.cumulants).
    """
    exact = {MOMENT: exact_moments(**physics, nmax=NMAX), CUMULANT: exact_cumulants(**physics, ns=CUMULANT_NS)}
    cl = {MOMENT: moments(z_cl, NMAX)}
    cl[CUMULANT] = chain_cumulants(z_cl, _values(cl[MOMENT]), CUMULANT_NS)
    rows = {q: [dict(quantity=q, n=n, estimator="exact", re=v.real, re_err=0.0, im=v.imag, im_err=0.0)
                for n, v in exact[q].items()] for q in exact}
    budget = {q: [] for q in exact}
    for q in exact:
        for r in cl[q]:
            rows[q].append(dict(quantity=q, n=r["n"], estimator="CL", **{k: r[k] for k in COLUMNS[3:]}))
            budget[q] += [dict(quantity=q, n=r["n"], estimator="CL", part=part, value=r[part], err=r[f"{part}_err"],
                               err_within=np.nan, err_data=np.nan, err_between=np.nan, tau_int=r[f"tau_{part}"])
                          for part in PARTS]
    for name, ensemble in ensembles.items():
        for q, pooled in ensemble_estimates(ensemble, z_cl, cl).items():
            for n, parts in pooled:
                rows[q].append(dict(quantity=q, n=n, estimator=name,
                                    **{k: v for part in PARTS for k, v in ((part, parts[part]["mean"]),
                                                                           (f"{part}_err", parts[part]["err"]))}))
                budget[q] += [dict(quantity=q, n=n, estimator=name, part=part, value=p["mean"], err=p["err"],
                                   err_within=p["err_within"], err_data=p["err_data"], err_between=p["tau"],
                                   tau_int=0.5) for part, p in parts.items()]
    return (pd.DataFrame(rows[MOMENT] + rows[CUMULANT], columns=COLUMNS),
            pd.DataFrame(budget[MOMENT] + budget[CUMULANT]))


def ensemble_estimates(ensemble: Ensemble, z_cl: np.ndarray, cl: dict[str, list[dict]]) -> dict[str, list]:
    """One DM estimator's moments and cumulants: {quantity: [(n, {part: random_effects(...)})]}.

    Member k's estimate y_k (its samples' moment, with the control variates where the sampler gave
    reference samples; its cumulant from those moments) is pooled against d_k, the same quantity of
    its training chains shares[k], whose error is the CL error (`cl`: the rows of `moments` and
    `chain_cumulants` of z_cl) scaled to the share."""
    per_member = {MOMENT: [], CUMULANT: []}
    for k in np.unique(ensemble.member):
        z = ensemble.z[ensemble.member == k]
        ref = _member_ref(ensemble.member, k, ensemble.z_ref, ensemble.ref_mean, ensemble.ref_cov)
        m = member_moments(z, ref)
        per_member[MOMENT].append(m)
        per_member[CUMULANT].append(sample_cumulants(z, _values(m), CUMULANT_NS, *ref))
    data = {MOMENT: share_moments(z_cl, ensemble.shares)}
    data[CUMULANT] = np.array([cumulants(d) for d in data[MOMENT]])[:, [n - 1 for n in CUMULANT_NS]]
    scale = np.sqrt(len(z_cl) / np.array([len(s) for s in ensemble.shares]))
    out = {}
    for q, members in per_member.items():
        d = dict(re=data[q].real, im=data[q].imag)
        out[q] = [(r["n"], {part: random_effects([m[i][part] for m in members], [m[i][f"{part}_err"] for m in members],
                                                 d[part][:, i], r[f"{part}_err"] * scale) for part in PARTS})
                  for i, r in enumerate(cl[q])]
    return out


def member_moments(z: np.ndarray, ref: tuple = ()) -> list[dict]:
    """A member's <z^n>, n = 1..NMAX, with its within-model error (the rows of
    cldm.analysis.stats.moments) from its own i.i.d. samples z, with the control variates of its
    reference samples where the sampler gave them (ref = (z_ref, ref_mean, ref_cov), Gaussian)."""
    return cv_moments(z, *ref, NMAX, CV_DEGREE) if ref else moments(z, NMAX, iid=True)


def _member_ref(member: np.ndarray, k: int, z_ref, ref_mean, ref_cov) -> tuple:
    """Member k's reference samples and their law, or () without a reference path."""
    return () if z_ref is None else (z_ref[member == k], ref_mean[k], ref_cov[k])


def member_estimates(z_dm: np.ndarray, member: np.ndarray, z_ref: np.ndarray | None = None,
                     ref_mean: np.ndarray | None = None, ref_cov: np.ndarray | None = None) -> list[list[dict]]:
    """Each member's <z^n> rows (`member_moments`), members in the order of their labels."""
    return [member_moments(z_dm[member == k], _member_ref(member, k, z_ref, ref_mean, ref_cov))
            for k in np.unique(member)]


def share_moments(z_cl: np.ndarray, shares: list[np.ndarray]) -> np.ndarray:
    """<z^n>, n = 1..NMAX, of the chains each member learned from, z_cl[shares[k]]: shape (members,
    NMAX), the powers by successive products in place."""
    out = np.empty((len(shares), NMAX), dtype=complex)
    for k, share in enumerate(shares):
        z = z_cl[share]
        zn = z.copy()
        for n in range(NMAX):
            if n:
                zn *= z
            out[k, n] = zn.mean()
    return out


def share_data(z_cl: np.ndarray, shares: list[np.ndarray], cl: list[dict]) -> tuple[dict, dict]:
    """(d, v): for each part ('re', 'im') arrays of shape (members, NMAX): <z^n> of the chains each
    member learned from, z_cl[shares[k]], and its error, the CL error (`cl`, the rows of `moments`
    of z_cl) scaled to the share (the chains are i.i.d.: err_CL sqrt(chains / |share|))."""
    d = share_moments(z_cl, shares)
    scale = np.sqrt(len(z_cl) / np.array([len(s) for s in shares]))[:, None]
    return ({"re": d.real, "im": d.imag},
            {part: scale * np.array([r[f"{part}_err"] for r in cl])[None, :] for part in PARTS})


def pooled_rows(per_member: list[list[dict]], data: dict, data_err: dict, estimator: str = "DM",
                tau2: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Moment rows of the table and of the error budget of an ensemble's estimate: for each n and
    part, the members' estimates (`member_estimates`) pooled by cldm.analysis.stats.random_effects
    against their data d_k with known errors v_k (`share_data`: (members, NMAX) arrays per part),
    with the between-member variance `tau2` ((NMAX,) per part) where it was estimated beyond these
    members (a scan's, cldm.analysis.scan.shared_tau2), else by random_effects from them.
    (A point's table pools moments and cumulants alike in `ensemble_estimates`; a scan, the
    moments at each value with its own data part, through this.)"""
    rows, budget = [], []
    for i in range(NMAX):
        row = dict(quantity=MOMENT, n=i + 1, estimator=estimator)
        for part in PARTS:
            pooled = random_effects([m[i][part] for m in per_member], [m[i][f"{part}_err"] for m in per_member],
                                    data[part][:, i], data_err[part][:, i], None if tau2 is None else tau2[part][i])
            row.update({part: pooled["mean"], f"{part}_err": pooled["err"]})
            budget.append(dict(quantity=MOMENT, n=i + 1, estimator=estimator, part=part, value=pooled["mean"],
                               err=pooled["err"], err_within=pooled["err_within"], err_data=pooled["err_data"],
                               err_between=pooled["tau"], tau_int=0.5))
        rows.append(row)
    return rows, budget


def _values(rows: list[dict]) -> np.ndarray:
    """The complex values of rows n = 1..NMAX of `moments` / `cv_moments`."""
    return np.array([r["re"] + 1j * r["im"] for r in rows])


def pulls(table: pd.DataFrame, estimator: str, ns=None, quantity: str = MOMENT) -> pd.DataFrame:
    """(estimate - exact) / error for the real and imaginary parts of <z^n> (or kappa_n), indexed by n
    (default: the even n of the table)."""
    t = select(table, quantity)
    ex = t[t.estimator == "exact"].set_index("n")
    est = t[t.estimator == estimator].set_index("n")
    ns = [n for n in ex.index if n % 2 == 0] if ns is None else list(ns)
    return pd.DataFrame({part: (est[part] - ex[part]) / est[f"{part}_err"] for part in PARTS}).loc[ns]
