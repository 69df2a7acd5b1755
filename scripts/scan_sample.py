"""Rule scan_sample."""

from cldm import job
from cldm.settings.sampling import Sampling
from cldm.stages.scan_sample import sample_scan_value


def main(sm):
    sample_scan_value(sm.wildcards.scan, sm.params.value, Sampling.from_dict(sm.params.settings), sm.params.seed,
                      list(sm.input.models), sm.output[0], sm.params.code, sm.params.device, progress=True)


job.run(snakemake, "scan_sample", main)  # noqa: F821
