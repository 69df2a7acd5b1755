"""Stage tables: the study's moment tables of all points, CSV, Markdown and LaTeX."""

from __future__ import annotations

import pandas as pd

from cldm.analysis.tables import footnote, point_table, title, to_latex, to_markdown
from cldm.io import read_csv, read_json, write_csv, write_text
from cldm.provenance import provenance


def study_tables(physics: dict[str, dict], moments_paths: list[str], diagnostics_paths: list[str], csv_path: str,
                 md_path: str, tex_path: str, code: str | None = None) -> None:
    """The study's tables of every point (in the order of `physics`), CSV, Markdown and LaTeX; the
    CL and DM cells of a point whose CL is not trusted carry a dagger and the reasons below."""
    points = list(physics)
    diags = {p: read_json(f) for p, f in zip(points, diagnostics_paths)}
    table = pd.concat([point_table(p, physics[p]["model"], read_csv(f), diags[p]["trusted"])
                       for p, f in zip(points, moments_paths)])
    titles = {p: title(p, physics[p]) for p in points}
    note = footnote({p: d["reasons"] for p, d in diags.items() if not d["trusted"]})
    write_csv(csv_path, table, provenance(dict(points=physics), code=code))
    write_text(md_path, to_markdown(table, titles, note))
    write_text(tex_path, to_latex(table, titles, note))
