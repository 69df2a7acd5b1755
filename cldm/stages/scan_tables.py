"""Stage scan_tables: a scan's tables (CSV, Markdown, LaTeX) and the summary of its targets."""

from __future__ import annotations

from cldm.analysis.scan import scan_table, scan_title, summary, to_latex, to_markdown
from cldm.io import read_csv, write_csv, write_json, write_text
from cldm.provenance import provenance


def scan_tables(scan: str, physics: dict, varying: list[str], moments_path: str, csv_path: str, md_path: str,
                tex_path: str, summary_path: str, code: str | None = None) -> None:
    """`physics`: the model and parameters at one value of the scan (the fixed ones are the title's)."""
    table = read_csv(moments_path)
    t = scan_table(table)
    title = (f"{scan_title(scan, physics, varying)}: <z^n>; pulls (Re, Im) = (estimate - exact) / error; cDM: the "
             "conditioned model (test values never seen by it); nearest: the per-point model of the nearest training value")
    meta = provenance(dict(scan=scan), code=code)
    write_csv(csv_path, t, meta)
    write_text(md_path, to_markdown(t, title))
    write_text(tex_path, to_latex(t, title))
    write_json(summary_path, dict(summary(table, varying), provenance=meta))
