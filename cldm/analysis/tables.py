"""The study's tables of moments and cumulants (exact, CL, each DM estimator) with pulls, as CSV, Markdown and LaTeX."""

from __future__ import annotations

import pandas as pd

from cldm.analysis.quantities import CUMULANT, MOMENT, select
from cldm.analysis.stats import format_complex
from cldm.physics.models import complex_text

NS = (2, 4, 6, 8)
KAPPA_NS = (4, 6, 8)
"""The cumulants in the tables (kappa_2 = <z^2> up to the square of the tiny <z>: see the moments)."""
DAGGER = "†"


def point_table(point: str, model: str, moments: pd.DataFrame, trusted: bool) -> pd.DataFrame:
    """One row per <z^n>, n in NS: <z^n>/n for the quartic model (the paper's convention), <z^n>
    otherwise; then one row per kappa_n, n in KAPPA_NS. A column per estimator of `moments` (the
    contract table of cldm.analysis.quantities: exact, CL, then each DM estimator in its order) and
    the pulls (estimate - exact)/error of every estimator but exact, Re and Im (pull_{est}_re, _im).

    The non-exact cells of a point whose CL is not trusted carry a dagger.
    """
    div = model == "quartic"
    rows = []
    for quantity, ns in ((MOMENT, NS), (CUMULANT, KAPPA_NS)):
        t = select(moments, quantity)
        for n in ns:
            d = n if div and quantity == MOMENT else 1
            label = f"kappa_{n}" if quantity == CUMULANT else f"<z^{n}>/{n}" if div else f"<z^{n}>"
            row = dict(point=point, quantity=label, n=n)
            at_n = t[t.n == n].set_index("estimator")
            ex = at_n.loc["exact"]
            for est, r in at_n.iterrows():
                if est == "exact":
                    im = r.im / d
                    cell = f"{r.re / d:.6f} {'-' if im < 0 else '+'} {abs(im):.6f}i"
                else:
                    cell = format_complex(r.re / d, r.re_err / d, r.im / d, r.im_err / d)
                    cell += "" if trusted else f" {DAGGER}"
                row[est] = cell
            for est, r in at_n.drop(index="exact").iterrows():
                for part in ("re", "im"):
                    row[f"pull_{est}_{part}"] = (r[part] - ex[part]) / r[f"{part}_err"]
            row["cl_trusted"] = trusted
            rows.append(row)
    return pd.DataFrame(rows)


def estimators(table: pd.DataFrame) -> list[str]:
    """The estimator columns of a point table, exact first."""
    return [c for c in table.columns if c not in ("point", "quantity", "n", "cl_trusted") and not c.startswith("pull_")]


def pull_cell(row: dict, est: str) -> str:
    """'-1.2, +0.3': the pulls of Re and Im of one estimator in a row of a point table."""
    return ", ".join(f"{row[f'pull_{est}_{part}']:+.1f}" for part in ("re", "im"))


def footnote(untrusted: dict[str, list[str]]) -> str:
    return "".join(f"{DAGGER} {p}: CL not trusted: {'; '.join(r)}.\n" for p, r in untrusted.items())


def to_markdown(table: pd.DataFrame, titles: dict[str, str], note: str) -> str:
    out = []
    for point, t in table.groupby("point", sort=False):
        t = t.dropna(axis=1, how="all")
        ests = estimators(t)
        pulled = ests[1:]
        out.append(f"### {titles[point]}\n\n| quantity | {' | '.join(ests)} | {' | '.join(f'pull {e} (Re, Im)' for e in pulled)} |\n"
                   + "|---" * (1 + len(ests) + len(pulled)) + "|")
        out += [f"| {r['quantity']} | {' | '.join(r[e] for e in ests)} | {' | '.join(pull_cell(r, e) for e in pulled)} |"
                for r in t.to_dict("records")]
        out.append("")
    return "\n".join(out) + ("\n" + note if note else "")


def to_latex(table: pd.DataFrame, titles: dict[str, str], note: str) -> str:
    out = []
    for point, t in table.groupby("point", sort=False):
        t = t.dropna(axis=1, how="all")
        ests = estimators(t)
        pulled = ests[1:]
        out += [f"% {titles[point]}", rf"\begin{{tabular}}{{l{'c' * (len(ests) + len(pulled))}}}", r"\hline",
                " & ".join(["quantity", *ests, *(f"pull {e}" for e in pulled)]) + r" \\", r"\hline"]
        out += [" & ".join([_tex_quantity(r["quantity"]), *(math_cell(r[e]) for e in ests),
                            *(f"${pull_cell(r, e)}$" for e in pulled)]) + r" \\" for r in t.to_dict("records")]
        out += [r"\hline", r"\end{tabular}", ""]
    if note:
        out += [f"% {line}" for line in note.strip().splitlines()]
    return "\n".join(out) + "\n"


def _tex_quantity(label: str) -> str:
    """'<z^4>/4' -> $\\langle z^{4} \\rangle/4$, 'kappa_4' -> $\\kappa_{4}$."""
    if label.startswith("kappa_"):
        return rf"$\kappa_{{{label[6:]}}}$"
    n, _, div = label[3:].partition(">")
    return rf"$\langle z^{{{n}}} \rangle{div}$"


def math_cell(cell: str) -> str:
    """A cell of a table (a complex value, perhaps with a dagger) as LaTeX math; an empty cell stays empty."""
    return "$" + cell.replace(DAGGER, r"^\dagger").replace("i", r"\,i") + "$" if cell else ""


def title(point: str, physics: dict) -> str:
    sigma = f"{physics['A']:g} {'-' if physics['B'] < 0 else '+'} {abs(physics['B']):g}i"
    if physics["model"] == "quartic":
        return (f"{point}: quartic, sigma = {sigma}, lambda = {complex_text(physics['lam'], physics.get('lam_im', 0))}; "
                "<z^n>/n and cumulants kappa_n")
    return f"{point}: Gaussian, sigma = {sigma}; <z^n> and cumulants kappa_n"

