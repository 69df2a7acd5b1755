"""Rule moments."""

from cldm import job
from cldm.settings.training import Training
from cldm.stages.moments import point_moments


def main(sm):
    point_moments(sm.wildcards.point, sm.params.physics, Training.from_dict(sm.params.training), sm.input.cl,
                  dict(zip(sm.params.estimators, sm.input.dm)), sm.output.moments, sm.output.errors, sm.params.code)


job.run(snakemake, "moments", main)  # noqa: F821
