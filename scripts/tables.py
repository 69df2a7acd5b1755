"""Rule tables: the study's moment tables as CSV, Markdown and LaTeX."""

import json

import pandas as pd

from cldm import job
from cldm.io import read_csv, write_csv, write_text
from cldm.provenance import provenance
from cldm.tables import footnote, point_table, title, to_latex, to_markdown


def main(sm):
    points, physics = sm.params.points, sm.params.physics
    diags = {p: json.load(open(f)) for p, f in zip(points, sm.input.diagnostics)}
    table = pd.concat([point_table(p, physics[p]["model"], read_csv(f), diags[p]["trusted"])
                       for p, f in zip(points, sm.input.moments)])
    titles = {p: title(p, physics[p]) for p in points}
    note = footnote({p: d["reasons"] for p, d in diags.items() if not d["trusted"]})
    write_csv(sm.output.csv, table, provenance(dict(points=physics)))
    write_text(sm.output.md, to_markdown(table, titles, note))
    write_text(sm.output.tex, to_latex(table, titles, note))


job.run(snakemake, "tables", main)  # noqa: F821
