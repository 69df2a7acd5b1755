"""The study's moment tables (exact, CL, DM) as CSV, Markdown and LaTeX."""

from __future__ import annotations

import pandas as pd

from cldm.analysis.stats import format_complex
from cldm.physics.models import complex_text

NS = (2, 4, 6, 8)
ESTIMATORS = ("exact", "CL", "DM")
DAGGER = "†"


def point_table(point: str, model: str, moments: pd.DataFrame, trusted: bool) -> pd.DataFrame:
    """One row per n: <z^n>/n for the quartic model (the paper's convention), <z^n> otherwise.

    CL and DM cells of a point whose CL is not trusted carry a dagger.
    """
    div = model == "quartic"
    rows = []
    for n in NS:
        row = dict(point=point, quantity=f"<z^{n}>/{n}" if div else f"<z^{n}>", n=n)
        for est in ESTIMATORS:
            r = moments[(moments.n == n) & (moments.estimator == est)].iloc[0]
            d = n if div else 1
            if est == "exact":
                im = r.im / d
                cell = f"{r.re / d:.6f} {'-' if im < 0 else '+'} {abs(im):.6f}i"
            else:
                cell = format_complex(r.re / d, r.re_err / d, r.im / d, r.im_err / d)
                cell += "" if trusted else f" {DAGGER}"
            row[est] = cell
        row["cl_trusted"] = trusted
        rows.append(row)
    return pd.DataFrame(rows)


def footnote(untrusted: dict[str, list[str]]) -> str:
    return "".join(f"{DAGGER} {p}: CL not trusted: {'; '.join(r)}.\n" for p, r in untrusted.items())


def to_markdown(table: pd.DataFrame, titles: dict[str, str], note: str) -> str:
    out = []
    for point, t in table.groupby("point", sort=False):
        out.append(f"### {titles[point]}\n\n| quantity | exact | CL | DM |\n|---|---|---|---|")
        out += [f"| {r.quantity} | {r.exact} | {r.CL} | {r.DM} |" for r in t.itertuples()]
        out.append("")
    return "\n".join(out) + ("\n" + note if note else "")


def to_latex(table: pd.DataFrame, titles: dict[str, str], note: str) -> str:
    out = []
    for point, t in table.groupby("point", sort=False):
        out += [f"% {titles[point]}", r"\begin{tabular}{lccc}", r"\hline",
                r"quantity & exact & CL & DM \\", r"\hline"]
        out += [" & ".join([_tex_quantity(r.n, "/" in r.quantity), *(_tex(c) for c in (r.exact, r.CL, r.DM))]) + r" \\" for r in t.itertuples()]
        out += [r"\hline", r"\end{tabular}", ""]
    if note:
        out += [f"% {line}" for line in note.strip().splitlines()]
    return "\n".join(out) + "\n"


def _tex_quantity(n: int, divided: bool) -> str:
    return rf"$\langle z^{{{n}}} \rangle{f'/{n}' if divided else ''}$"


def _tex(cell: str) -> str:
    return "$" + cell.replace(DAGGER, r"^\dagger").replace("i", r"\,i") + "$"


def title(point: str, physics: dict) -> str:
    sigma = f"{physics['A']:g} {'-' if physics['B'] < 0 else '+'} {abs(physics['B']):g}i"
    if physics["model"] == "quartic":
        return f"{point}: quartic, sigma = {sigma}, lambda = {complex_text(physics['lam'], physics.get('lam_im', 0))}; <z^n>/n"
    return f"{point}: Gaussian, sigma = {sigma}; <z^n>"

