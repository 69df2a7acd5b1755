"""Figures of the study, through one matplotlib style; each saved as PDF and PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from cldm.io import atomic_path  # noqa: E402

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 120,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}
COLORS = {"exact": "black", "CL": "tab:blue", "DM": "tab:orange"}


def save(fig: plt.Figure, paths: list[str]) -> None:
    """Write one figure to every path (PDF, PNG, ...) atomically, then close it."""
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, bbox_inches="tight", metadata={"CreationDate": None} if path.endswith(".pdf") else None)
    plt.close(fig)


def moments_figure(moments: pd.DataFrame, title: str) -> plt.Figure:
    """Re and Im <z^n> against n for exact, CL and DM, with error bars."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, sharex=True)
        for ax, part in zip(axes, ("re", "im")):
            for i, (est, t) in enumerate(moments.groupby("estimator", sort=False)):
                ax.errorbar(t.n + 0.12 * (i - 1), t[part], yerr=t[f"{part}_err"], fmt="o" if est != "exact" else "_",
                            ms=4, capsize=2, color=COLORS[est], label=est)
            ax.set_xlabel("n")
            ax.set_title(f"{'Re' if part == 're' else 'Im'} <z^n>")
        axes[0].legend()
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
