"""Figures of the evidence for or against CL: boundary terms B_O(Y) and the drift histogram of one
point, and the study's pulls next to its boundary-term plateaus."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from cldm.plots.figures import STYLE, plt

PARTS = (("re", "Re", "tab:blue"), ("im", "Im", "tab:red"))
FRAME = 8.0
"""The B_O(Y) panels show the range of the cut-offs whose error is within FRAME times the
plateau's; the noisy tail beyond is drawn at the frame's edge (open markers)."""


def boundary_figure(diagnostics: dict, title: str) -> plt.Figure:
    """One panel per observable O: B_O(Y) (Re, Im, errors from the Gamma method) against the cut-off
    Y, the uncut mean at the right, the plateau as a band (value +- error) over its cut-offs;
    and the histogram of the drift magnitude |K| on log axes with the fitted power law and
    exponential above the fit threshold."""
    terms = diagnostics["boundary_terms"]
    drift = diagnostics["drift"]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(terms) + 1, figsize=(4.2 * (len(terms) + 1), 4.0), layout="constrained")
        for ax, t in zip(axes, terms):
            _boundary_panel(ax, t)
        _drift_panel(axes[-1], drift)
        verdict = "trusted" if diagnostics["trusted"] else "NOT trusted"
        fig.suptitle(f"{title}: CL {verdict}")
    return fig


def _boundary_panel(ax: plt.Axes, term: dict) -> None:
    scan, p = term["scan"], term["plateau"]
    finite = np.array([y is not None for y in scan["Y"]])
    y_cut = np.array([y for y in scan["Y"] if y is not None])
    x_uncut = y_cut[-1] * 1.6 if y_cut.size else 1.0
    x = np.r_[y_cut, [x_uncut] * int((~finite).sum())]
    err_scale = max(p["re_err"], p["im_err"], 1e-300)
    for part, name, color in PARTS:
        v, e = np.array(scan[part]), np.array(scan[f"{part}_err"])
        shown = e <= FRAME * err_scale
        ax.errorbar(x[shown], v[shown], yerr=e[shown], fmt="o", ms=3, capsize=2, color=color, label=f"{name} B")
        band = p[part] + np.array([-1, 1]) * p[f"{part}_err"]
        ends = [x_uncut if y is None else y for y in (p["Y"], p["Y_end"])]
        ends[1] *= 1.1 if p["Y_end"] is None else 1.0
        ax.fill_between(ends, *band, color=color, alpha=0.2, lw=0)
        ax.hlines(p[part], *ends, color=color, lw=1)
    lo, hi = ax.get_ylim()
    for part, _, color in PARTS:  # the noisy tail, clipped to the frame
        v, e = np.array(scan[part]), np.array(scan[f"{part}_err"])
        off = e > FRAME * err_scale
        ax.plot(x[off], np.clip(v[off], lo, hi), "o", mfc="none", ms=4, color=color)
    ax.set_ylim(lo, hi)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"cut-off Y on d(z) = {'|z|' if term['distance'] == 'abs' else '|Im z|'} (rightmost: uncut)")
    ax.set_ylabel(f"B(Y) = <(L {term['observable']}) Θ(Y - d)>")
    ax.set_title(f"{term['observable']}: plateau {p['re']:.3g} {'-' if p['im'] < 0 else '+'} {abs(p['im']):.3g}i "
                 f"({p['value_at']}), {term['significance']:.1f}σ from 0\nboundary term: {term['verdict']}", fontsize=9)
    ax.legend(fontsize=8)


def _drift_panel(ax: plt.Axes, drift: dict) -> None:
    edges, density = np.array(drift["histogram"]["edges"]), np.array(drift["histogram"]["density"])
    centres = np.sqrt(edges[1:] * edges[:-1])
    ax.stairs(np.where(density > 0, density, np.nan), edges, color="black", label="CL |K|")
    ut, frac, a, s = drift["threshold"], drift["tail_fraction"], drift["exponent"], drift["scale"]
    u = centres[centres >= ut]
    if u.size:  # fitted tail densities, normalised to the tail fraction above ut
        ax.plot(u, frac * a / ut * (u / ut) ** (-a - 1), color="tab:red", label=f"power law, a = {a:.2f}")
        ax.plot(u, frac / s * np.exp(-(u - ut) / s), color="tab:green", ls="--", label=f"exponential, s = {s:.3g}")
    ax.axvline(ut, color="gray", lw=0.8, ls=":")
    ax.set(xscale="log", yscale="log", xlabel="|K|", ylabel="density")
    ax.set_ylim(bottom=max(density[density > 0].min() / 3, 1e-300) if (density > 0).any() else None)
    ax.set_title(f"drift magnitude: {drift['decay']}\nP(|K| > u) ~ u^-a, a = {a:.2f} (bound {drift['exponent_bound']:.3g})",
                 fontsize=9)
    ax.legend(fontsize=8)


def trust_figure(table: pd.DataFrame, n: int = 2) -> plt.Figure:
    """Per point, (CL - exact)/err_CL next to the boundary-term plateau of z^n / its error, Re and
    Im, on a symmetric-log axis; bands at 3 and 5 errors; untrusted points marked."""
    t = table[table.n == n].reset_index(drop=True)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True, layout="constrained")
        x = np.arange(len(t))
        for ax, (part, name, _) in zip(axes, PARTS):
            ax.bar(x - 0.2, t[f"cl_exact_{part}"], width=0.4, color="tab:blue", label="(CL − exact) / err")
            ax.bar(x + 0.2, t[f"boundary_pull_{part}"], width=0.4, color="tab:orange", label=f"B(z^{n}) plateau / err")
            for level, style in ((3, ":"), (5, "--")):
                for sign in (1, -1):
                    ax.axhline(sign * level, color="gray", ls=style, lw=0.8)
            ax.set_yscale("symlog", linthresh=3, linscale=1.5)
            ax.set_xticks(x, [f"{p}\n{'trusted' if ok else 'NOT trusted'}" for p, ok in zip(t.point, t.trusted)],
                          fontsize=8, rotation=30, ha="right")
            ax.set_title(f"{name} <z^{n}>")
        top = max(10.0, float(np.nanmax(np.abs(t[[f"{k}_{p}" for k in ("cl_exact", "boundary_pull") for p in ("re", "im")]]))))
        ticks = [v for v in (3, 5, 10, 30, 100, 300, 1000, 3000) if v <= 1.5 * top]
        axes[0].set_yticks([-v for v in ticks[::-1]] + [0] + ticks, [f"{-v:g}" for v in ticks[::-1]] + ["0"] + [f"{v:g}" for v in ticks])
        axes[0].set_ylim(-1.5 * top, 1.5 * top)
        axes[0].set_ylabel("pull (errors); dotted ±3, dashed ±5")
        axes[0].legend(fontsize=8)
        fig.suptitle(f"CL error and boundary term of z^{n}, per point")
    return fig
