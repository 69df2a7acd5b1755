"""Rule scan_moments."""

from cldm import job
from cldm.settings.scan import ConditionedTraining
from cldm.stages.scan_moments import scan_moments


def main(sm):
    scan_moments(sm.wildcards.scan, sm.params.values, sm.params.params, ConditionedTraining.from_dict(sm.params.training),
                 dict(zip(sm.params.cl_labels, sm.input.cl)), dict(zip(sm.params.cdm_keys, sm.input.cdm)),
                 dict(zip(sm.params.nearest_labels, sm.input.nearest)), sm.output.moments, sm.output.errors,
                 sm.params.code)


job.run(snakemake, "scan_moments", main)  # noqa: F821
