"""The moments of a parameter scan: exact, CL and the conditioned model (cDM) at every value, and
the per-point model of the nearest training value (the cheap alternative) at the test values.

The cDM at a value pools its ensemble members as a point's DM does (cldm.analysis.moments:
random effects over the members' deviations from their own data, whose known CL error enters the
error bar), except that the members' spread in range is estimated from all the values at once
(`shared_tau2`). At a training value a member's data are <z^n> of its own share of that value's chains.
At any other value the model saw no data: its data part is the members' data at the training values
carried over with the weights of `data_weights` (linear interpolation between the two neighbouring
training values), d_k(p) = sum_j w_j d_kj with error v_k(p) = (sum_j w_j^2 v_kj^2)^(1/2) (the values'
CL runs are independent). The spread of the deviations y_k - d_k(p), which the pooling measures,
takes up whatever of the data's noise the model does not pass on as interpolation would; the CL
run at a test value is a reference only, never part of an estimate or its error.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from cldm.analysis.moments import NMAX, PARTS, pooled_rows, share_data
from cldm.analysis.quantities import COLUMNS, MOMENT
from cldm.analysis.stats import format_complex, moments, shared_spread
from cldm.analysis.tables import DAGGER, math_cell
from cldm.physics.exact import exact_moments

ESTIMATOR = "cDM"
"""The conditioned model's estimator name in the tables."""
NEAREST = "nearest"
"""The per-point model of the nearest training value, at a test value."""
NS = (2, 4, 6)
"""Moments of the scan's tables and targets."""


def data_weights(train: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Weights w_j (summing to 1) of the training values train (n, m) that stand for `value` (m,).

    One varying parameter: linear interpolation between the two neighbouring training values
    (at a training value, that value alone; beyond the range, linear extrapolation from the two
    nearest). Several: the nearest training value in the parameters normalised by their ranges."""
    train, value = np.asarray(train, float), np.asarray(value, float)
    w = np.zeros(len(train))
    if train.shape[1] > 1:
        span = train.max(0) - train.min(0)
        w[np.argmin((((train - value) / span) ** 2).sum(1))] = 1.0
        return w
    x, p = train[:, 0], value[0]
    order = np.argsort(x)
    i = int(np.clip(np.searchsorted(x[order], p), 1, len(x) - 1))
    lo, hi = order[i - 1], order[i]
    s = (p - x[lo]) / (x[hi] - x[lo])
    w[lo], w[hi] = 1 - s, s
    return w


def training_summary(z_cl: np.ndarray, shares: list[np.ndarray]) -> tuple[list[dict], dict, dict]:
    """(cl, d, v) of a training value: its CL rows (`moments`), each member's data <z^n> on its share
    and that data's error (`share_data`: (members, NMAX) arrays per part)."""
    cl = moments(z_cl, NMAX)
    return (cl, *share_data(z_cl, shares, cl))


def carried_data(weights: np.ndarray, summaries: list[tuple]) -> tuple[dict, dict]:
    """The members' data part at a value: sum_j w_j d_kj and (sum_j w_j^2 v_kj^2)^(1/2) over the
    training values' summaries (`training_summary`)."""
    d = {part: sum(w * s[1][part] for w, s in zip(weights, summaries)) for part in PARTS}
    v = {part: np.sqrt(sum(w**2 * s[2][part] ** 2 for w, s in zip(weights, summaries))) for part in PARTS}
    return d, v


def shared_tau2(members: list[list[list[dict]]], data: list[dict], counts: list[np.ndarray]) -> list[dict]:
    """The members' between-model variance at each of a scan's values, estimated from all of them at
    once: tau_v^2 = rho g_v^2 at value v, g_v^2 = mean_k N_vk s_vk^2 the members' variance per
    sample (N_vk samples, within-error s_vk: the same at every value up to the law of z^n there),
    and rho, for each n and part, from the deviations e_vk = y_vk - d_vk of the members' estimates
    y_vk (`members[v]`, as `member_estimates`) from their data part d_vk (`data[v]`, as
    `carried_data`) at every value (cldm.analysis.stats.shared_spread). The members' spread is one
    multiple of their per-sample spread over the values: estimated from 3 degrees of freedom at
    each value (4 members), not from that value's 3 alone, which made it 0 where the members happen
    to agree and up to 4x wider where they happen to disagree (docs/scans.md). Returns one
    {part: (NMAX,) tau^2} per value."""
    out = [{part: np.zeros(NMAX) for part in PARTS} for _ in members]
    for part in PARTS:
        for i in range(NMAX):
            y = [np.array([m[i][part] for m in per]) for per in members]
            s = [np.array([m[i][f"{part}_err"] for m in per]) for per in members]
            g2 = [float(np.mean(np.asarray(n) * sv**2)) for n, sv in zip(counts, s, strict=True)]
            rho = shared_spread([yv - d[part][:, i] for yv, d in zip(y, data, strict=True)], s, g2)
            for tau2, g in zip(out, g2):
                tau2[part][i] = rho * g
    return out


def value_rows(value: dict, params: list[str], cl: list[dict] | None, per_member: list[list[dict]],
               data: dict, data_err: dict, nearest: pd.DataFrame | None = None,
               tau2: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Rows of the scan's moments table at one value (dict of cldm.scans.ScanValue): exact, CL (where
    it has a CL run), cDM (the members' estimates `per_member` pooled against the data part, with
    the between-member variance `tau2` of `shared_tau2`, or without it that of these members
    alone), and the DM rows of the nearest training value's per-point model (`nearest`, its
    moments table) if given; and the cDM's error budget."""
    head = dict(label=value["label"], role=value["role"], in_range=value["in_range"],
                **{k: value["physics"][k] for k in params})
    exact = exact_moments(**value["physics"], nmax=NMAX)
    rows = [dict(quantity=MOMENT, n=n, estimator="exact", re=v.real, re_err=0.0, im=v.imag, im_err=0.0)
            for n, v in exact.items()]
    if cl is not None:
        rows += [dict(quantity=MOMENT, n=r["n"], estimator="CL", **{k: r[k] for k in COLUMNS[3:]}) for r in cl]
    pooled, budget = pooled_rows(per_member, data, data_err, ESTIMATOR, tau2)
    rows += pooled
    if nearest is not None:
        dm = nearest[(nearest.quantity == MOMENT) & (nearest.estimator == "DM")]
        rows += [dict(r, estimator=NEAREST) for r in dm[COLUMNS].to_dict("records")]
    return [{**head, **r} for r in rows], [{**head, **b} for b in budget]


def frame(rows: list[dict], params: list[str]) -> pd.DataFrame:
    """The scan's moments table: label, role, in_range, the model's parameters, then the columns of a
    point's moments table."""
    return pd.DataFrame(rows, columns=["label", "role", "in_range", *params, *COLUMNS])


def with_pulls(table: pd.DataFrame) -> pd.DataFrame:
    """The estimators' rows with the exact value and the pull (estimate - exact) / error of each part."""
    key = ["role", "label", "n"]  # a grid value may share its label with a CL value
    exact = table[table.estimator == "exact"].set_index(key)[list(PARTS)]
    est = table[table.estimator != "exact"].copy()
    for part in PARTS:
        ref = exact[part].reindex(pd.MultiIndex.from_frame(est[key])).to_numpy()
        est[f"{part}_exact"] = ref
        est[f"{part}_pull"] = (est[part] - ref) / est[f"{part}_err"]
    return est


def scan_table(table: pd.DataFrame, varying: list[str], untrusted: Collection[str] = (), ns=NS) -> pd.DataFrame:
    """The scan's table: one row per CL value and n, <z^n> exact, CL, cDM and (at test values) the
    nearest training value's per-point model, each with its pulls. A dagger marks the CL cell of a
    value whose CL run is not trusted (labels `untrusted`) and the cDM cell of a value whose data
    part draws on one (`tainted`)."""
    est = with_pulls(table)
    rows = []
    marked = tainted(table, varying, untrusted)
    for (label, n), t in est[est.n.isin(ns) & (est.role != "grid")].groupby(["label", "n"], sort=False):
        first = t.iloc[0]
        row = dict(label=label, role=first.role, n=n,
                   exact=_exact_cell(first.re_exact, first.im_exact))
        for name in ("CL", ESTIMATOR, NEAREST):
            r = t[t.estimator == name]
            if len(r):
                r = r.iloc[0]
                dagger = (name == "CL" and label in untrusted) or (name == ESTIMATOR and (first.role, label) in marked)
                row[name] = format_complex(r.re, r.re_err, r.im, r.im_err) + (f" {DAGGER}" if dagger else "")
                row[f"{name} pull"] = f"{r.re_pull:+.1f}, {r.im_pull:+.1f}"
            else:
                row[name] = row[f"{name} pull"] = ""
        rows.append(row)
    return pd.DataFrame(rows)


def tainted(table: pd.DataFrame, varying: list[str], untrusted: Collection[str]) -> set[tuple[str, str]]:
    """(role, label) of the values whose cDM data part (`data_weights`: the value itself at a
    training value, its neighbours elsewhere) draws on a training value whose CL is not trusted."""
    values = table[["role", "label", *varying]].drop_duplicates(["role", "label"])
    train = values[values.role == "train"]
    bad = train.label.isin(list(untrusted)).to_numpy()
    if not bad.any():
        return set()
    return {(r.role, r.label) for r in values.itertuples()
            if bad[data_weights(train[varying].to_numpy(), np.array([getattr(r, k) for k in varying])) > 0].any()}


def _exact_cell(re: float, im: float) -> str:
    return f"{re:.6f} {'-' if im < 0 else '+'} {abs(im):.6f}i"


def summary(table: pd.DataFrame, varying: list[str], ns=NS) -> dict:
    """The scan's targets, per <z^n> and part: the cDM's pulls at the test (interpolation) values
    (each, their RMS and largest), at the training and extrapolation values, the ratio of its error
    at a test value to the mean error at the two neighbouring training values, and the pulls of
    the nearest training value's per-point model at the test values."""
    est = with_pulls(table)
    cdm, near = est[est.estimator == ESTIMATOR], est[est.estimator == NEAREST]
    out = {}
    for n in ns:
        for part in PARTS:
            c = cdm[cdm.n == n]
            test, train = c[c.role == "test"], c[c.role == "train"]
            errors = train[f"{part}_err"].to_numpy()
            ratios = [float(r[f"{part}_err"] / errors[data_weights(train[varying], r[varying]) > 0].mean())
                      for _, r in test.iterrows()]
            pulls = test[f"{part}_pull"].to_numpy()
            nn = near[(near.n == n) & (near.role == "test")][f"{part}_pull"].to_numpy()
            out[f"z{n}_{part}"] = dict(
                test_pulls=dict(zip(test.label, np.round(pulls, 3).tolist())),
                test_rms_pull=_rms(pulls), test_max_abs_pull=_max_abs(pulls),
                train_rms_pull=_rms(train[f"{part}_pull"].to_numpy()),
                train_max_abs_pull=_max_abs(train[f"{part}_pull"].to_numpy()),
                extrapolation_pulls=dict(zip(c[c.role == "extrapolation"].label,
                                             np.round(c[c.role == "extrapolation"][f"{part}_pull"], 3).tolist())),
                test_error_ratio_max=max(ratios) if ratios else None,
                nearest_test_pulls=dict(zip(near[(near.n == n) & (near.role == "test")].label, np.round(nn, 1).tolist())),
                nearest_min_abs_pull=_min_abs(nn),
            )
    test = cdm[(cdm.role == "test") & cdm.n.isin(ns)]
    pulls = np.concatenate([test[f"{p}_pull"].to_numpy() for p in PARTS])
    out["all"] = dict(test_rms_pull=_rms(pulls), test_max_abs_pull=_max_abs(pulls), test_values=int(test.label.nunique()))
    return out


def _rms(x: np.ndarray) -> float | None:
    return float(np.sqrt(np.mean(x**2))) if len(x) else None


def _max_abs(x: np.ndarray) -> float | None:
    return float(np.max(np.abs(x))) if len(x) else None


def _min_abs(x: np.ndarray) -> float | None:
    return float(np.min(np.abs(x))) if len(x) else None


def scan_title(scan: str, physics: dict, varying: list[str]) -> str:
    """'bscan: quartic, A = 1, lam = 1; B scanned'."""
    fixed = ", ".join(f"{k} = {v:g}" for k, v in physics.items() if k != "model" and k not in varying)
    return f"{scan}: {physics['model']}, {fixed}; {', '.join(varying)} scanned"


def to_markdown(table: pd.DataFrame, title: str) -> str:
    cols = [c for c in table.columns if table[c].astype(str).str.len().any()]
    out = [f"### {title}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for _, r in table.iterrows()]
    return "\n".join(out) + "\n"


def to_latex(table: pd.DataFrame, title: str) -> str:
    cols = [c for c in table.columns if table[c].astype(str).str.len().any()]
    out = [f"% {title}", r"\begin{tabular}{" + "l" * 3 + "c" * (len(cols) - 3) + "}", r"\hline",
           " & ".join(_tex_head(c) for c in cols) + r" \\", r"\hline"]
    out += [" & ".join(_tex_cell(c, r[c]) for c in cols) + r" \\" for _, r in table.iterrows()]
    return "\n".join([*out, r"\hline", r"\end{tabular}", ""])


def _tex_head(col: str) -> str:
    return {"n": "$n$", "exact": r"$\langle z^n\rangle$ exact"}.get(col, col.replace("_", r"\_"))


def _tex_cell(col: str, cell) -> str:
    text = str(cell)
    if col in ("label", "role", "n") or not text:
        return text.replace("_", r"\_")
    return math_cell(text)
