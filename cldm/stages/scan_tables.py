"""Stage scan_tables: a scan's tables (CSV, Markdown, LaTeX) and the summary of its targets."""

from __future__ import annotations

from cldm.analysis.scan import scan_table, scan_title, summary, to_latex, to_markdown
from cldm.analysis.tables import DAGGER, footnote
from cldm.io import read_csv, read_json, write_csv, write_json, write_text
from cldm.provenance import provenance


def scan_tables(scan: str, physics: dict, varying: list[str], moments_path: str, diagnostics_paths: dict[str, str],
                csv_path: str, md_path: str, tex_path: str, summary_path: str, code: str | None = None) -> None:
    """`physics`: the model and parameters at one value of the scan (the fixed ones are the title's);
    `diagnostics_paths`: the CL diagnostics of each value with a CL run, by label. The CL cells of a
    value whose CL is not trusted, and the cDM cells whose data part draws on such a training value,
    carry a dagger; the reasons follow the table and enter the summary (`untrusted_cl`)."""
    table = read_csv(moments_path)
    diags = {label: read_json(f) for label, f in diagnostics_paths.items()}
    untrusted = {label: d["reasons"] for label, d in diags.items() if not d["trusted"]}
    t = scan_table(table, varying, untrusted)
    title = (f"{scan_title(scan, physics, varying)}: <z^n>; pulls (Re, Im) = (estimate - exact) / error; cDM: the "
             "conditioned model (test values never seen by it); nearest: the per-point model of the nearest training value")
    note = footnote(untrusted) + (f"{DAGGER} on a cDM cell: its data part draws on a training value whose CL is not "
                                  "trusted.\n" if untrusted else "")
    meta = provenance(dict(scan=scan), code=code)
    write_csv(csv_path, t, meta)
    write_text(md_path, to_markdown(t, title) + ("\n" + note if note else ""))
    write_text(tex_path, to_latex(t, title) + "".join(f"% {line}\n" for line in note.splitlines()))
    write_json(summary_path, dict(summary(table, varying), untrusted_cl=untrusted, provenance=meta))
