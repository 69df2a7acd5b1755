"""Rule tables."""

from cldm import job
from cldm.stages.tables import study_tables


def main(sm):
    study_tables(sm.params.physics, list(sm.input.moments), list(sm.input.diagnostics), sm.output.csv, sm.output.md,
                 sm.output.tex, sm.params.code)


job.run(snakemake, "tables", main)  # noqa: F821
