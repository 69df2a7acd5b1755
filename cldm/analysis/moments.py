"""Moments of a point, side by side: exact, CL (autocorrelated chains) and DM (model ensemble)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cldm.physics.exact import exact_moments
from cldm.analysis.stats import cv_moments, moments, random_effects

NMAX = 8
COLUMNS = ["n", "estimator", "re", "re_err", "im", "im_err"]


def moment_tables(physics: dict, z_cl: np.ndarray, z_dm: np.ndarray, member: np.ndarray,
                  shares: list[np.ndarray], z_ref: np.ndarray | None = None, ref_mean: np.ndarray | None = None,
                  ref_cov: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(moments, errors): the contract table `n,estimator,re,re_err,im,im_err` for exact, CL and DM,
    and the error budget behind it: CL tau_int; DM within-model, data and between-model parts.

    z_cl has shape (chains, samples); DM samples are independent, one model per `member` label,
    and member k learned from the chains shares[k]. Where the sampler gave reference samples z_ref
    (Gaussian, N(ref_mean[k], ref_cov[k]) for member k), their monomials are control variates of
    the DM moments. The DM value pools the members with a random-effects (Paule-Mandel)
    combination of their deviations from their own data, whose CL error (the chains are i.i.d.:
    err_CL sqrt(chains / |share|)) enters as a known part.
    """
    exact = exact_moments(**physics, nmax=NMAX)
    rows = [dict(n=n, estimator="exact", re=v.real, re_err=0.0, im=v.imag, im_err=0.0) for n, v in exact.items()]
    budget = []
    cl = moments(z_cl, NMAX)
    for r in cl:
        rows.append(dict(n=r["n"], estimator="CL", **{k: r[k] for k in COLUMNS[2:]}))
        for part in ("re", "im"):
            budget.append(dict(n=r["n"], estimator="CL", part=part, value=r[part], err=r[f"{part}_err"],
                               err_within=np.nan, err_data=np.nan, err_between=np.nan, tau_int=r[f"tau_{part}"]))
    data, data_err = share_data(z_cl, shares, cl)
    dm_rows, dm_budget = pooled_rows(member_estimates(z_dm, member, z_ref, ref_mean, ref_cov), data, data_err)
    rows, budget = rows + dm_rows, budget + dm_budget
    return pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(budget)


def member_estimates(z_dm: np.ndarray, member: np.ndarray, z_ref: np.ndarray | None = None,
                     ref_mean: np.ndarray | None = None, ref_cov: np.ndarray | None = None) -> list[list[dict]]:
    """Each member's <z^n>, n = 1..NMAX, with its within-model error (the rows of
    cldm.analysis.stats.moments), from its own samples, with the control variates of its reference
    samples where the sampler gave them (Gaussian, N(ref_mean[k], ref_cov[k]) for member k)."""
    if z_ref is None:
        return [moments(z_dm[member == k], NMAX, iid=True) for k in np.unique(member)]
    return [cv_moments(z_dm[member == k], z_ref[member == k], ref_mean[k], ref_cov[k], NMAX) for k in np.unique(member)]


def share_data(z_cl: np.ndarray, shares: list[np.ndarray], cl: list[dict]) -> tuple[dict, dict]:
    """(d, v): for each part ('re', 'im') arrays of shape (members, NMAX): <z^n> of the chains each
    member learned from, z_cl[shares[k]], and its error, the CL error (`cl`, the rows of `moments`
    of z_cl) scaled to the share (the chains are i.i.d.: err_CL sqrt(chains / |share|))."""
    d = np.array([[np.mean(z_cl[s] ** n) for n in range(1, NMAX + 1)] for s in shares])
    scale = np.sqrt(len(z_cl) / np.array([len(s) for s in shares]))[:, None]
    return ({"re": d.real, "im": d.imag},
            {part: scale * np.array([r[f"{part}_err"] for r in cl])[None, :] for part in ("re", "im")})


def pooled_rows(per_member: list[list[dict]], data: dict, data_err: dict,
                estimator: str = "DM") -> tuple[list[dict], list[dict]]:
    """Rows of the moments table and of the error budget of an ensemble's estimate: for each n and
    part, the members' estimates (`member_estimates`) pooled by cldm.analysis.stats.random_effects
    against their data d_k with known errors v_k (`share_data`: (members, NMAX) arrays per part)."""
    rows, budget = [], []
    for i in range(NMAX):
        row = dict(n=i + 1, estimator=estimator)
        for part in ("re", "im"):
            pooled = random_effects([m[i][part] for m in per_member], [m[i][f"{part}_err"] for m in per_member],
                                    data[part][:, i], data_err[part][:, i])
            row.update({part: pooled["mean"], f"{part}_err": pooled["err"]})
            budget.append(dict(n=i + 1, estimator=estimator, part=part, value=pooled["mean"], err=pooled["err"],
                               err_within=pooled["err_within"], err_data=pooled["err_data"],
                               err_between=pooled["tau"], tau_int=0.5))
        rows.append(row)
    return rows, budget


def pulls(table: pd.DataFrame, estimator: str, ns=(2, 4, 6, 8)) -> pd.DataFrame:
    """(estimate - exact) / error for the real and imaginary parts of <z^n>."""
    ex = table[table.estimator == "exact"].set_index("n")
    est = table[table.estimator == estimator].set_index("n")
    return pd.DataFrame({part: (est[part] - ex[part]) / est[f"{part}_err"] for part in ("re", "im")}).loc[list(ns)]
