"""Rule scan_tables."""

from cldm import job
from cldm.stages.scan_tables import scan_tables


def main(sm):
    scan_tables(sm.wildcards.scan, sm.params.physics, sm.params.varying, sm.input.moments,
                dict(zip(sm.params.cl_labels, sm.input.diagnostics)), sm.output.csv, sm.output.md, sm.output.tex,
                sm.output.summary, sm.params.code)


job.run(snakemake, "scan_tables", main)  # noqa: F821
