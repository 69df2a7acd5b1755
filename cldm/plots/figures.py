"""Figures of the study, through one matplotlib style; each saved as PDF and PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402

from cldm.analysis.quantities import CUMULANT, MOMENT, select  # noqa: E402
from cldm.plots.fields import curl, divergence, histogram, total_variation  # noqa: E402
from cldm.io import atomic_path  # noqa: E402
from cldm.physics.models import complex_text  # noqa: E402

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 120,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}
COLORS = {"exact": "black", "CL": "tab:blue", "DM": "tab:orange", "DM-energy": "tab:green", "DM-energy-MH": "tab:red"}
DYNAMIC_RANGE = 1e-4  # log colour scales span [peak * DYNAMIC_RANGE, peak]


def save(fig: plt.Figure, paths: list[str]) -> None:
    """Write one figure to every path (PDF, PNG, ...) atomically, then close it. The layout is
    computed for the first file and kept for the others (constrained layout costs ~0.6 s a figure)."""
    for i, path in enumerate(paths):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, bbox_inches="tight", metadata={"CreationDate": None} if path.endswith(".pdf") else None)
        if i == 0:
            fig.set_layout_engine("none")
    plt.close(fig)


def moments_figure(table: pd.DataFrame, title: str) -> plt.Figure:
    """Re and Im <z^n> against n for exact, CL and each DM estimator (top), their deviations from
    exact with error bars (middle), and the pulls (kappa_n - exact)/error of the cumulants (bottom).
    `table` is a moments.csv (cldm.analysis.quantities)."""
    moments, kappas = select(table, MOMENT), select(table, CUMULANT)
    exact = moments[moments.estimator == "exact"].set_index("n")
    exact_k = kappas[kappas.estimator == "exact"].set_index("n")
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(3, 2, sharex=True, figsize=(7.2, 7.6), height_ratios=(3, 2, 2))
        for col, part in enumerate(("re", "im")):
            for i, (est, t) in enumerate(moments.groupby("estimator", sort=False)):
                fmt = "o" if est != "exact" else "_"
                color = COLORS.get(est, f"C{i + 1}")
                axes[0, col].errorbar(t.n + 0.12 * (i - 1), t[part], yerr=t[f"{part}_err"], fmt=fmt, ms=4, capsize=2,
                                      color=color, label=est)
                if est != "exact":
                    axes[1, col].errorbar(t.n + 0.12 * (i - 1), t[part].values - exact.loc[t.n, part].values,
                                          yerr=t[f"{part}_err"], fmt="o", ms=4, capsize=2, color=color)
                    k = kappas[kappas.estimator == est]
                    axes[2, col].plot(k.n + 0.12 * (i - 1), (k[part].values - exact_k.loc[k.n, part].values)
                                      / k[f"{part}_err"].values, "o", ms=4, color=color)
            name = "Re" if part == "re" else "Im"
            axes[0, col].set_title(f"{name} <z^n>")
            axes[1, col].axhline(0, color=COLORS["exact"], lw=0.8)
            axes[1, col].set_ylabel(f"{name} <z^n> - exact")
            axes[2, col].axhspan(-1, 1, color="0.85", lw=0)
            for y in (-3, 3):
                axes[2, col].axhline(y, color="0.5", ls=":", lw=0.8)
            axes[2, col].set_ylabel(f"{name} (κ_n - exact) / error")
            axes[2, col].set_xlabel("n")
        axes[0, 0].legend()
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def correlator_figure(rows: pd.DataFrame, title: str) -> plt.Figure:
    """Re and Im G(r) against r for exact, CL and DM (top), and CL and DM minus exact with their
    error bars (bottom); `rows` are the G rows of a chain point's observables.csv (n = r)."""
    exact = rows[rows.estimator == "exact"].set_index("n")
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 2, sharex=True, figsize=(7.2, 5.6), height_ratios=(3, 2))
        for col, part in enumerate(("re", "im")):
            for i, (est, t) in enumerate(rows.groupby("estimator", sort=False)):
                color = COLORS.get(est, f"C{i + 1}")
                axes[0, col].errorbar(t.n + 0.12 * (i - 1), t[part], yerr=t[f"{part}_err"], fmt="o" if est != "exact" else "_",
                                      ms=4, capsize=2, color=color, label=est)
                if est != "exact":
                    axes[1, col].errorbar(t.n + 0.12 * (i - 1), t[part].values - exact.loc[t.n, part].values,
                                          yerr=t[f"{part}_err"], fmt="o", ms=4, capsize=2, color=color)
            name = "Re" if part == "re" else "Im"
            axes[0, col].set_title(f"{name} G(r)")
            axes[1, col].axhline(0, color=COLORS["exact"], lw=0.8)
            axes[1, col].set_ylabel(f"{name} G(r) - exact")
            axes[1, col].set_xlabel("r")
        axes[0, 0].legend()
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def loss_figure(logs: list[pd.DataFrame], title: str) -> plt.Figure:
    """Training and validation loss of every ensemble member against the step."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots()
        for k, log in enumerate(logs):
            color = f"C{k}"
            ax.plot(log.step, log.train_loss, color=color, alpha=0.5, label=f"member {k} train")
            ax.plot(log.step, log.val_loss, color=color, ls="--", label=f"member {k} validation (EMA)")
        ax.set_xlabel("step")
        ax.set_ylabel("denoising score-matching loss")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
    return fig


def point_title(point: str, physics: dict) -> str:
    """'point: S = ..., sigma = A + iB (, lambda = lam)' for figure titles."""
    sigma = f"σ = {physics['A']:g} {'-' if physics['B'] < 0 else '+'} {abs(physics['B']):g}i"
    if physics["model"] == "quartic":
        return f"{point}: S = σz²/2 + λz⁴/4, {sigma}, λ = {complex_text(physics['lam'], physics.get('lam_im', 0))}"
    if physics["model"] == "chain":
        return f"{point}: chain of L = {physics['L']} sites, {sigma}, λ = {physics['lam']:g}"
    return f"{point}: S = σz²/2, {sigma}"


def subsample(z: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """At most n of the samples z, drawn without replacement."""
    return z if len(z) <= n else np.random.default_rng(seed).choice(z, n, replace=False)


def _plane(ax: plt.Axes, xe: np.ndarray, ye: np.ndarray, y_minus: float | None) -> None:
    """Labels, limits, equal aspect unless the plane is flat, and the strip |y| = y_- (dashed)."""
    ax.set(xlabel="x", ylabel="y", xlim=(xe[0], xe[-1]), ylim=(ye[0], ye[-1]))
    ax.set_aspect("equal" if _equal(xe, ye) else "auto")
    ax.grid(False)
    if y_minus is not None:
        for sign in (1, -1):
            ax.axhline(sign * y_minus, color="red", ls="--", lw=1)


def _equal(xe: np.ndarray, ye: np.ndarray) -> bool:
    return ye[-1] / xe[-1] > 0.3


def _plane_height(xe: np.ndarray, ye: np.ndarray, width: float) -> float:
    """Height of panels of the given width: to scale if the aspect is equal, else 0.8 width."""
    return width * (ye[-1] / xe[-1] if _equal(xe, ye) else 0.8)


def _suptitle(fig: plt.Figure, title: str, exact: bool, y_minus: float | None) -> None:
    """The figure title and a key to the red lines of the (x, y) panels."""
    if exact:
        title += "\nred: exact P at 1, 2, 3σ"
    elif y_minus is not None:
        title += f"\nred dashed: strip edge y = ±y₋ = ±{y_minus:.3g}"
    fig.suptitle(title)


def _densities(axes, xe, ye, panels: dict[str, np.ndarray], y_minus, exact: np.ndarray | None = None):
    """Densities on one log colour scale, a panel each; the exact P's 1, 2, 3 sigma contours if given."""
    peak = max(p.max() for p in panels.values())
    norm = LogNorm(peak * DYNAMIC_RANGE, peak)
    x, y = (xe[1:] + xe[:-1]) / 2, (ye[1:] + ye[:-1]) / 2
    for ax, (name, p) in zip(axes, panels.items()):
        mesh = ax.pcolormesh(xe, ye, np.ma.masked_less_equal(p, 0), norm=norm, cmap="viridis", rasterized=True)
        if exact is not None:
            ax.contour(x, y, exact / exact.max(), levels=np.exp(-np.array([9, 4, 1]) / 2), colors="red", linewidths=0.8)
        _plane(ax, xe, ye, y_minus)
        ax.set_title(name, fontsize=9)
    return mesh


def distributions_figure(cl: np.ndarray, dm: np.ndarray, xe: np.ndarray, ye: np.ndarray, title: str,
                         exact: np.ndarray | None = None, y_minus: float | None = None,
                         estimator: str = "DM") -> plt.Figure:
    """CL and DM samples z = x + iy (of the DM `estimator`) as 2-D densities on the same bins and log
    colour scale, and their x and y marginals; `exact` is the analytic P on the cell centres
    (contours at 1, 2, 3 sigma)."""
    dx, dy = xe[1] - xe[0], ye[1] - ye[0]
    x, y = (xe[1:] + xe[:-1]) / 2, (ye[1:] + ye[:-1]) / 2
    hists = {name: histogram(z, xe, ye) for name, z in (("CL", cl), (estimator, dm))}
    with plt.rc_context(STYLE):
        top = _plane_height(xe, ye, 4.2)
        fig, axes = plt.subplots(2, 2, figsize=(10, top + 3.6), height_ratios=(top, 2.6), layout="compressed")
        titles = {f"{name}: {len(z):,} samples": hists[name] for name, z in (("CL", cl), (estimator, dm))}
        mesh = _densities(axes[0], xe, ye, titles, y_minus, exact)
        fig.colorbar(mesh, ax=axes[0], label="P(x, y)")
        for ax, edges, centres, axis, d, name in ((axes[1, 0], xe, x, 0, dy, "x"), (axes[1, 1], ye, y, 1, dx, "y")):
            for est, h in hists.items():
                ax.stairs(h.sum(axis=axis) * d, edges, color=COLORS.get(est, "tab:orange"), label=est)
            if exact is not None:
                ax.plot(centres, exact.sum(axis=axis) * d, color=COLORS["exact"], lw=0.8, label="exact")
            if y_minus is not None and name == "y":
                for sign in (1, -1):
                    ax.axvline(sign * y_minus, color="red", ls="--", lw=1, label="±y₋" if sign > 0 else None)
            ax.set(xlabel=name, ylabel=f"P({name})", xlim=(edges[0], edges[-1]), title=f"{name} marginal")
            ax.legend(fontsize=8)
        _suptitle(fig, f"{title}: CL and {estimator} samples", exact is not None, y_minus)
    return fig


def flows_figure(xe: np.ndarray, ye: np.ndarray, drift: tuple, score: tuple, weight: np.ndarray, title: str,
                 score_label: str, y_minus: float | None = None) -> plt.Figure:
    """Streamlines of the CL drift (Re K, Im K) and of the learned score (s_x, s_y) over their curls
    dF_y/dx - dF_x/dy, each in units of the field's rms divergence (one colour scale); each panel
    quotes rms curl / rms div weighted by `weight` (the CL density): zero for a gradient field
    such as a score, of order one for the CL drift."""
    dx, dy = xe[1] - xe[0], ye[1] - ye[0]
    x, y = (xe[1:] + xe[:-1]) / 2, (ye[1:] + ye[:-1]) / 2
    w = weight / weight.sum()

    def rms(a: np.ndarray) -> float:
        return float(np.sqrt((w * a**2).sum()))

    curls = [curl(*f, dx, dy) / rms(divergence(*f, dx, dy)) for f in (drift, score)]
    ratio = [rms(c) for c in curls]
    norm = Normalize(-2 * ratio[0], 2 * ratio[0])
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(10, _plane_height(xe, ye, 4.2) + 1.2), layout="compressed")
        for ax, f, c, r, name in zip(axes, (drift, score), curls, ratio, ("CL drift (Re K, Im K), K = -S'(z)", score_label)):
            mesh = ax.pcolormesh(xe, ye, c, norm=norm, cmap="RdBu_r", rasterized=True)
            ax.streamplot(x, y, *f, color="black", linewidth=0.6, density=1.2, arrowsize=0.7)
            _plane(ax, xe, ye, y_minus)
            ax.set_title(f"{name}\nrms curl / rms div over CL samples = {r:.2g}", fontsize=9)
        fig.colorbar(mesh, ax=axes, extend="both", label=r"$(\partial_x F_y - \partial_y F_x)\,/\,\mathrm{rms}\,\nabla\cdot F$")
        _suptitle(fig, f"{title}: drift and learned score", False, y_minus)
    return fig


def density_figure(xe: np.ndarray, ye: np.ndarray, cl: np.ndarray, p_theta: np.ndarray, title: str,
                   theta_label: str, exact: np.ndarray | None = None, y_minus: float | None = None,
                   what: str = "density from the learned score") -> plt.Figure:
    """The model's density P_theta (`what` it is: integrated from the learned score, or explicit)
    next to the CL histogram `cl` (and the exact P), all on the grid cells and one log colour scale,
    with total-variation distances."""
    dx, dy = xe[1] - xe[0], ye[1] - ye[0]
    tv = r"TV($P_\theta$, {}) = {:.3f}"
    panels = {"CL histogram": cl, f"{theta_label}\n{tv.format('CL', total_variation(p_theta, cl, dx, dy))}": p_theta}
    if exact is not None:
        panels[f"exact P\n{tv.format('P', total_variation(p_theta, exact, dx, dy))}, "
               f"TV(CL, P) = {total_variation(cl, exact, dx, dy):.3f}"] = exact
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1.2, _plane_height(xe, ye, 4.2) + 1.2),
                                 layout="compressed")
        mesh = _densities(axes, xe, ye, panels, y_minus, exact)
        fig.colorbar(mesh, ax=axes, label="P(x, y)")
        _suptitle(fig, f"{title}: {what}", exact is not None, y_minus)
    return fig
