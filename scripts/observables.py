"""Rule observables."""

from cldm import job
from cldm.stages.observables import point_observables


def main(sm):
    point_observables(sm.wildcards.point, sm.params.physics, sm.input.cl, sm.output[0], sm.params.code)


job.run(snakemake, "observables", main)  # noqa: F821
