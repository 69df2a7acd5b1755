"""Rule observables."""

from cldm import job
from cldm.settings.training import Training
from cldm.stages.observables import point_observables


def main(sm):
    point_observables(sm.wildcards.point, sm.params.physics, sm.input.cl, sm.output[0], sm.params.code, sm.input.dm,
                      Training.from_dict(sm.params.training))


job.run(snakemake, "observables", main)  # noqa: F821
