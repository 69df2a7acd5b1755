"""Rule scan_figure."""

from cldm import job
from cldm.stages.scan_figure import figure


def main(sm):
    figure(sm.wildcards.scan, sm.params.physics, sm.params.varying, sm.input.moments, [sm.output.pdf, sm.output.png])


job.run(snakemake, "scan_figure", main)  # noqa: F821
