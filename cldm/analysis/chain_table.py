"""The chain points' table: exact, CL and DM observables with their pulls, the targets of issue 16
(RMS pull, DM error against CL's, the field covariance) and the size transfer; CSV, Markdown, LaTeX."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cldm.analysis.observables import Key, observable_pulls
from cldm.analysis.stats import format_complex
from cldm.analysis.tables import math_cell

ESTIMATORS = ("CL", "DM")
TRANSFER_KEYS: tuple[Key, ...] = (("phi", 2), ("G", 1))
"""Rows of the size-transfer table."""
NAMES = {"phi": "<phi^{n}>", "G": "G({n})", "chi": "chi", "M": "<M^{n}>", "kappa_M": "kappa_4(M)"}


def target_keys(L: int) -> list[Key]:
    """The rows the targets are stated for: <phi^2>, <phi^4>, G(r) for r = 0..min(4, L/2), chi."""
    return [("phi", 2), ("phi", 4), *(("G", r) for r in range(min(4, L // 2) + 1)), ("chi", 0)]


def quantity(key: Key, sites: int | None = None) -> str:
    name = NAMES[key[0]].format(n=key[1])
    return name if sites is None else f"{name} at L = {sites}"


def _cell(row: pd.Series, exact: bool = False) -> str:
    if exact:
        return f"{row.re:.6f} {'-' if row.im < 0 else '+'} {abs(row.im):.6f}i"
    return format_complex(row.re, row.re_err, row.im, row.im_err)


def _pull(p: pd.DataFrame, key: Key) -> str:
    return f"{p.loc[key, 're']:+.2f}, {p.loc[key, 'im']:+.2f}"


def point_rows(point: str, table: pd.DataFrame, transfer: pd.DataFrame | None = None,
               transfer_sites: int | None = None) -> pd.DataFrame:
    """One row per observable of `table` (observables.csv): exact, CL, DM cells and the pulls
    (estimate - exact) / error of Re and Im; then the size-transfer rows (TRANSFER_KEYS of the
    transfer table at transfer_sites sites: exact and DM)."""
    by = {est: t.set_index(["observable", "n"]) for est, t in table.groupby("estimator")}
    pulls = {est: observable_pulls(table, est) for est in ESTIMATORS}
    rows = []
    for key in by["exact"].index:
        row = dict(point=point, quantity=quantity(key), observable=key[0], n=key[1], exact=_cell(by["exact"].loc[key], True))
        row |= {est: _cell(by[est].loc[key]) for est in ESTIMATORS}
        row |= {f"pull_{est}": _pull(pulls[est], key) for est in ESTIMATORS}
        rows.append(row)
    if transfer is not None:
        tby = {est: t.set_index(["observable", "n"]) for est, t in transfer.groupby("estimator")}
        tpull = observable_pulls(transfer, "DM")
        for key in TRANSFER_KEYS:
            rows.append(dict(point=point, quantity=quantity(key, transfer_sites), observable=key[0], n=key[1],
                             exact=_cell(tby["exact"].loc[key], True), CL="", DM=_cell(tby["DM"].loc[key]), pull_CL="",
                             pull_DM=_pull(tpull, key)))
    return pd.DataFrame(rows)


def targets(table: pd.DataFrame, L: int, covariance: dict | None = None) -> dict:
    """The numbers the targets speak of: per estimator the RMS and largest |pull| over the Re and Im
    parts of target_keys(L) and how many exceed 3; the DM error of <phi^2> over CL's (Re, Im); and
    the field covariance's relative Frobenius errors with their floors and the Fourier modes' pulls
    (`modes`, cldm.analysis.quality.mode_pulls), from dm_quality.json."""
    out = {}
    for est in ESTIMATORS:
        p = observable_pulls(table, est).loc[target_keys(L)].to_numpy().ravel()
        out[est] = dict(rms_pull=float(np.sqrt(np.mean(p**2))), max_abs_pull=float(np.abs(p).max()),
                        beyond_3=int(np.sum(np.abs(p) > 3)), numbers=int(p.size))
    err = {est: t.set_index(["observable", "n"]).loc[("phi", 2)] for est, t in table.groupby("estimator")}
    out["dm_over_cl_error_phi2"] = [float(err["DM"].re_err / err["CL"].re_err), float(err["DM"].im_err / err["CL"].im_err)]
    if covariance is not None:
        out["covariance"] = {k: v for k, v in covariance.items() if not k.startswith("kernel") and k != "modes"}
        out["modes"] = covariance.get("modes")
    return out


def summary(point: str, t: dict) -> str:
    """The targets of a point as lines of text."""
    lines = [f"{est}: RMS pull {t[est]['rms_pull']:.2f}, max |pull| {t[est]['max_abs_pull']:.2f}, "
             f"{t[est]['beyond_3']} of {t[est]['numbers']} beyond 3 (<phi^2>, <phi^4>, G(0..4), chi; Re and Im)"
             for est in ESTIMATORS]
    lines.append("DM error / CL error of <phi^2>: Re {:.2f}, Im {:.2f}".format(*t["dm_over_cl_error_phi2"]))
    for name, c in t.get("covariance", {}).items():
        lines.append(f"field covariance, {name.replace('_', ' ')}: relative Frobenius error {c['rel_frobenius']:.2e} "
                     f"(statistical floor {c['floor']:.2e}, ratio {c['ratio']:.2f})")
    if t.get("modes"):
        lines.append("Fourier modes <phi~_k phi~_-k>, DM - CL pulls (Re, Im): "
                     + "; ".join(f"n = {m['n']}: {m['pull'][0]:+.1f}, {m['pull'][1]:+.1f}" for m in t["modes"]))
    return "\n".join(f"{point}: {line}" for line in lines)


def to_markdown(rows: pd.DataFrame, titles: dict[str, str], notes: dict[str, str]) -> str:
    out = []
    for point, t in rows.groupby("point", sort=False):
        out.append(f"### {titles[point]}\n\n| quantity | exact | CL | DM | pull CL (Re, Im) | pull DM (Re, Im) |\n"
                   "|---|---|---|---|---|---|")
        out += [f"| {r.quantity} | {r.exact} | {r.CL} | {r.DM} | {r.pull_CL} | {r.pull_DM} |" for r in t.itertuples()]
        out += ["", *(f"- {line}" for line in notes[point].splitlines()), ""]
    return "\n".join(out)


def to_latex(rows: pd.DataFrame, titles: dict[str, str], notes: dict[str, str]) -> str:
    out = []
    for point, t in rows.groupby("point", sort=False):
        out += [f"% {titles[point]}", r"\begin{tabular}{lccccc}", r"\hline",
                r"quantity & exact & CL & DM & pull CL & pull DM \\", r"\hline"]
        out += [" & ".join([f"${_tex_name(r.quantity)}$", *(math_cell(c) for c in (r.exact, r.CL, r.DM)), r.pull_CL,
                            r.pull_DM]) + r" \\" for r in t.itertuples()]
        out += [r"\hline", r"\end{tabular}", *(f"% {line}" for line in notes[point].splitlines()), ""]
    return "\n".join(out) + "\n"


def _tex_name(name: str) -> str:
    return (name.replace("<", r"\langle ").replace(">", r"\rangle ").replace("phi", r"\phi").replace("chi", r"\chi")
            .replace("kappa_4", r"\kappa_4"))


def title(point: str, physics: dict) -> str:
    sigma = f"{physics['A']:g} {'-' if physics['B'] < 0 else '+'} {abs(physics['B']):g}i"
    return f"{point}: chain of L = {physics['L']} sites, sigma = {sigma}, lambda = {physics['lam']:g}"
