"""Rule quality."""

from cldm import job
from cldm.settings.training import Training
from cldm.stages.quality import point_quality


def main(sm):
    point_quality(sm.wildcards.point, sm.params.physics, Training.from_dict(sm.params.training), sm.params.seed,
                  sm.input.cl, sm.input.dm, sm.output[0], sm.params.code)


job.run(snakemake, "quality", main)  # noqa: F821
