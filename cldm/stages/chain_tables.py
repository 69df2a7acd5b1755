"""Stage chain_tables: the chain points' table (observables with pulls, targets, size transfer),
CSV, Markdown and LaTeX."""

from __future__ import annotations

import pandas as pd

from cldm.analysis.chain_table import point_rows, summary, targets, title, to_latex, to_markdown
from cldm.io import read_csv, read_json, write_csv, write_text
from cldm.provenance import provenance


def chain_tables(physics: dict[str, dict], observables_paths: list[str], quality_paths: list[str],
                 diagnostics_paths: list[str], transfer: dict[str, tuple[str, int]], csv_path: str, md_path: str, tex_path: str,
                 code: str | None = None) -> None:
    """The table of every chain point (in the order of `physics`), with the size transfer of the
    points in `transfer` (point -> its transfer.csv and chain length); the Markdown and LaTeX add each point's
    targets (RMS pulls, DM error over CL's, field covariance) and whether its CL is trusted."""
    points = list(physics)
    rows, notes = [], {}
    for p, obs, qual, diag in zip(points, observables_paths, quality_paths, diagnostics_paths):
        table = read_csv(obs)
        path, sites = transfer.get(p, (None, None))
        rows.append(point_rows(p, table, None if path is None else read_csv(path), sites))
        quality = read_json(qual)
        notes[p] = summary(p, targets(table, physics[p]["L"], quality.get("covariance")))
        d = read_json(diag)
        if not d["trusted"]:
            notes[p] += f"\n{p}: CL not trusted: {'; '.join(d['reasons'])}"
    table = pd.concat(rows, ignore_index=True)
    titles = {p: title(p, physics[p]) for p in points}
    write_csv(csv_path, table, provenance(dict(points=physics), code=code))
    write_text(md_path, to_markdown(table, titles, notes))
    write_text(tex_path, to_latex(table, titles, notes))
