"""The study's trust table: per point, how far CL and DM lie from exact (and DM from CL) in units
of their errors, next to the boundary terms and the drift decay that decided `trusted`."""

from __future__ import annotations

import pandas as pd

from cldm.analysis.stats import format_complex

NS = (2, 4)
"""Moments <z^n> compared in the table: the observables of the default boundary terms."""


def _value(moments: pd.DataFrame, estimator: str, n: int) -> pd.Series:
    return moments[(moments.n == n) & (moments.estimator == estimator)].iloc[0]


def _pull(a: pd.Series, b: pd.Series, err: pd.Series, part: str) -> float:
    """(a - b) / error; 0 where both vanish (a real action keeps CL on the real axis), else nan without an error."""
    e, diff = err[f"{part}_err"], a[part] - b[part]
    if e > 0:
        return float(diff / e)
    return 0.0 if abs(diff) < 1e-12 else float("nan")


def trust_rows(point: str, physics: dict, moments: pd.DataFrame, diagnostics: dict) -> list[dict]:
    """One row per n in NS: (CL - exact)/err_CL, (DM - exact)/err_DM, (DM - CL)/err_DM, Re and Im;
    the boundary term of z^n (plateau value, error, significance, verdict) and the CL shift it
    predicts against the actual CL - exact; the drift exponent against its bound; `trusted`.
    err_DM includes the CL noise of the data the DM learned from, so it is the scale of both DM pulls."""
    terms = {t["n"]: t for t in diagnostics["boundary_terms"]}
    drift = diagnostics["drift"]
    rows = []
    for n in NS:
        ex, cl, dm = (_value(moments, e, n) for e in ("exact", "CL", "DM"))
        row = dict(point=point, model=physics["model"], A=physics["A"], B=physics["B"], lam=physics.get("lam"),
                   lam_im=physics.get("lam_im", 0.0), n=n, trusted=diagnostics["trusted"])
        for part in ("re", "im"):
            row[f"cl_exact_{part}"] = _pull(cl, ex, cl, part)
            row[f"dm_exact_{part}"] = _pull(dm, ex, dm, part)
            row[f"dm_cl_{part}"] = _pull(dm, cl, dm, part)
            row[f"cl_minus_exact_{part}"] = float(cl[part] - ex[part])
        t = terms.get(n)
        if t is not None:
            p = t["plateau"]
            row.update(boundary_re=p["re"], boundary_re_err=p["re_err"], boundary_im=p["im"], boundary_im_err=p["im_err"],
                       boundary_pull_re=p["re"] / p["re_err"] if p["re_err"] > 0 else 0.0,
                       boundary_pull_im=p["im"] / p["im_err"] if p["im_err"] > 0 else 0.0,
                       boundary_cutoff=p["Y"], boundary_verdict=t["verdict"])
            if "predicted_shift" in t:
                s = t["predicted_shift"]
                row.update(predicted_shift_re=s["re"], predicted_shift_re_err=s["re_err"], predicted_shift_im=s["im"],
                           predicted_shift_im_err=s["im_err"])
        row.update(drift_decay=drift["decay"], drift_exponent=drift["exponent"], drift_exponent_bound=drift["exponent_bound"],
                   reasons="; ".join(diagnostics["reasons"]))
        rows.append(row)
    return rows


def to_markdown(table: pd.DataFrame) -> str:
    """The table for reading: pulls as Re, Im pairs; boundary term and predicted vs actual CL shift."""
    lines = ["| point | n | trusted | CL - exact | DM - exact | DM - CL | boundary term B (pull) | predicted CL shift | "
             "actual CL - exact | drift |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        pulls = [f"{getattr(r, f'{k}_re'):+.1f}, {getattr(r, f'{k}_im'):+.1f}" for k in ("cl_exact", "dm_exact", "dm_cl")]
        b = (f"{format_complex(r.boundary_re, r.boundary_re_err, r.boundary_im, r.boundary_im_err)} "
             f"({r.boundary_pull_re:+.1f}, {r.boundary_pull_im:+.1f})")
        shift = format_complex(r.predicted_shift_re, r.predicted_shift_re_err, r.predicted_shift_im, r.predicted_shift_im_err)
        actual = f"{r.cl_minus_exact_re:+.4f} {'-' if r.cl_minus_exact_im < 0 else '+'} {abs(r.cl_minus_exact_im):.4f}i"
        drift = f"{r.drift_decay}, a = {r.drift_exponent:.2f} (> {r.drift_exponent_bound:.3g}?)"
        lines.append(f"| {r.point} | {r.n} | {'yes' if r.trusted else 'no'} | {' | '.join(pulls)} | {b} | {shift} | "
                     f"{actual} | {drift} |")
    note = ("\nPulls (Re, Im) in units of the estimator's own error (CL: Gamma method; DM: the ensemble error, which "
            "includes the CL noise of its training data). Boundary term: plateau of B_O(Y) for O = z^n; predicted CL "
            "shift -B/kappa. Drift: P(|K| > u) ~ u^-a, trusted needs a above the bound.\n")
    return "\n".join(lines) + "\n" + note


def to_latex(table: pd.DataFrame) -> str:
    """Pulls and boundary-term pulls as a LaTeX tabular."""
    out = [r"\begin{tabular}{lcccccccc}", r"\hline",
           r"point & $n$ & trusted & CL$-$exact & DM$-$exact & DM$-$CL & $B_{z^n}$ pull & predicted shift & actual shift \\",
           r"\hline"]
    for r in table.itertuples():
        pulls = [f"${getattr(r, f'{k}_re'):+.1f},\\ {getattr(r, f'{k}_im'):+.1f}$" for k in ("cl_exact", "dm_exact", "dm_cl")]
        out.append(" & ".join([r.point.replace("_", r"\_"), str(r.n), "yes" if r.trusted else "no", *pulls,
                               f"${r.boundary_pull_re:+.1f},\\ {r.boundary_pull_im:+.1f}$",
                               f"${r.predicted_shift_re:+.3g} {r.predicted_shift_im:+.3g}\\,i$",
                               f"${r.cl_minus_exact_re:+.3g} {r.cl_minus_exact_im:+.3g}\\,i$"]) + r" \\")
    out += [r"\hline", r"\end{tabular}", ""]
    return "\n".join(out)
