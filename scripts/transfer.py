"""Rule transfer."""

from cldm import job
from cldm.stages.transfer import point_transfer


def main(sm):
    point_transfer(sm.wildcards.point, sm.params.physics, sm.params.sites, list(sm.input.samples), sm.output[0],
                   sm.params.code)


job.run(snakemake, "transfer", main)  # noqa: F821
