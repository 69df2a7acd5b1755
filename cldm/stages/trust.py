"""Stage trust: the study's table of CL and DM errors next to the boundary terms and the drift decay
that decided whether to trust CL, CSV, Markdown and LaTeX."""

from __future__ import annotations

import pandas as pd

from cldm.analysis.trust import to_latex, to_markdown, trust_rows
from cldm.io import read_csv, read_json, write_csv, write_text
from cldm.provenance import provenance


def study_trust(physics: dict[str, dict], moments_paths: list[str], diagnostics_paths: list[str], csv_path: str,
                md_path: str, tex_path: str, code: str | None = None) -> None:
    """The trust table of every point (in the order of `physics`), CSV, Markdown and LaTeX."""
    rows = [r for p, m, d in zip(physics, moments_paths, diagnostics_paths)
            for r in trust_rows(p, physics[p], read_csv(m), read_json(d))]
    table = pd.DataFrame(rows)
    write_csv(csv_path, table, provenance(dict(points=physics), code=code))
    write_text(md_path, to_markdown(table))
    write_text(tex_path, to_latex(table))
