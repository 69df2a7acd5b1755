"""Rule scan_train."""

from cldm import job
from cldm.settings.scan import ConditionedTraining
from cldm.stages.scan_train import train_scan_member


def main(sm):
    train_scan_member(sm.wildcards.scan, int(sm.wildcards.k), ConditionedTraining.from_dict(sm.params.settings),
                      sm.params.seed, sm.params.values, list(sm.input.samples), sm.output.model, sm.output.loss,
                      sm.params.resume, sm.params.code, sm.params.device, progress=True)


job.run(snakemake, "scan_train", main)  # noqa: F821
