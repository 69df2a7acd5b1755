"""Rule train."""

from cldm import job
from cldm.settings.training import Training
from cldm.stages.training import train_member


def main(sm):
    train_member(sm.wildcards.point, int(sm.wildcards.k), Training.from_dict(sm.params.settings), sm.params.seed,
                 sm.input.samples, sm.output.model, sm.output.loss, sm.params.resume, sm.params.code, sm.params.device,
                 progress=True, kind=sm.params.family)


job.run(snakemake, "train", main)  # noqa: F821
