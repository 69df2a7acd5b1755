"""The figure of a parameter scan: moments against the varying parameter, exact, CL and the
conditioned model, with pulls (matplotlib style of cldm.plots.figures)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cldm.analysis.scan import ESTIMATOR, with_pulls
from cldm.plots.figures import COLORS, STYLE

MARKERS = {"train": ("o", "training value"), "test": ("D", "test value (never seen)"),
           "extrapolation": ("s", "beyond the training range")}
NS = (2, 4)
PULL_COLORS = {2: "tab:orange", 4: "tab:red"}


def scan_figure(table: pd.DataFrame, param: str, curve: pd.DataFrame, title: str) -> plt.Figure:
    """Re and Im <z^2>, <z^4> against `param`: the exact curve (`curve`: columns param, n, re, im on a
    fine line), CL points, the cDM with error bars at the CL values (markers by role) and its band
    (value +- error) over the grid, the range beyond the training values shaded; bottom row: pulls
    (estimate - exact) / error of the cDM (points at the CL values, a line over the grid) and of CL."""
    est = with_pulls(table)
    cdm = est[est.estimator == ESTIMATOR]
    train_x = cdm[cdm.role == "train"][param]
    lo, hi = train_x.min(), train_x.max()
    color = COLORS.get("DM", "tab:orange")
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(NS) + 1, 2, sharex=True, figsize=(9.6, 8.4), height_ratios=(3,) * len(NS) + (2.4,))
        for col, part in enumerate(("re", "im")):
            name = "Re" if part == "re" else "Im"
            for row, n in enumerate(NS):
                ax = axes[row, col]
                c = curve[curve.n == n]
                ax.plot(c[param], c[part], color=COLORS["exact"], lw=1, label="exact")
                grid = cdm[(cdm.n == n) & (cdm.role == "grid")].sort_values(param)
                ax.fill_between(grid[param], grid[part] - grid[f"{part}_err"], grid[part] + grid[f"{part}_err"],
                                color=color, alpha=0.35, lw=0, label="cDM band (grid)")
                for role, (marker, label) in MARKERS.items():
                    t = cdm[(cdm.n == n) & (cdm.role == role)]
                    if len(t):
                        ax.errorbar(t[param], t[part], yerr=t[f"{part}_err"], fmt=marker, ms=5, capsize=2,
                                    mfc=color if role == "train" else "white", color=color, label=f"cDM, {label}")
                cl = est[(est.estimator == "CL") & (est.n == n)]
                ax.errorbar(cl[param], cl[part], yerr=cl[f"{part}_err"], fmt=".", ms=4, color=COLORS["CL"], label="CL")
                ax.set_ylabel(f"{name} <z^{n}>")
                _shade(ax, lo, hi)
            ax = axes[-1, col]
            for n in NS:
                grid = cdm[(cdm.n == n) & (cdm.role == "grid")].sort_values(param)
                ax.plot(grid[param], grid[f"{part}_pull"], color=PULL_COLORS[n], lw=1, label=f"cDM <z^{n}>, grid")
                for role, (marker, _) in MARKERS.items():
                    t = cdm[(cdm.n == n) & (cdm.role == role)]
                    ax.plot(t[param], t[f"{part}_pull"], marker, ms=5, color=PULL_COLORS[n],
                            mfc=PULL_COLORS[n] if role == "train" else "white")
                cl = est[(est.estimator == "CL") & (est.n == n)]
                ax.plot(cl[param], cl[f"{part}_pull"], ".", color=COLORS["CL"], ms=4,
                        label="CL" if n == NS[0] else None)
            for y in (-3, 3):
                ax.axhline(y, color="grey", ls=":", lw=0.8)
            ax.axhline(0, color=COLORS["exact"], lw=0.8)
            ax.set_ylabel(f"pull, {name} part")
            ax.set_xlabel(param)
            _shade(ax, lo, hi)
            axes[0, col].set_title(f"{name} part")
        axes[0, 0].legend(fontsize=7)
        axes[-1, 0].legend(fontsize=7, ncol=3)
        fig.suptitle(f"{title}\nshaded: beyond the training range (extrapolation); pulls = (estimate - exact) / error")
        fig.tight_layout()
    return fig


def _shade(ax: plt.Axes, lo: float, hi: float) -> None:
    left, right = ax.get_xlim()
    for a, b in ((left, lo), (hi, right)):
        if b > a:
            ax.axvspan(a, b, color="grey", alpha=0.12, lw=0)
    ax.set_xlim(left, right)


def exact_curve(physics: list[dict], param: str, exact) -> pd.DataFrame:
    """Exact <z^n>, n in NS, at each physics (a fine line of parameter values): columns param, n, re, im."""
    rows = []
    for p in physics:
        m = exact(**p, nmax=max(NS))
        rows += [dict({param: p[param]}, n=n, re=m[n].real, im=m[n].imag) for n in NS]
    return pd.DataFrame(rows)
