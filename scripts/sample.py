"""Rule sample."""

from cldm import job
from cldm.settings.sampling import Sampling
from cldm.settings.training import Training
from cldm.stages.sampling import sample_member


def main(sm):
    sample_member(sm.wildcards.point, int(sm.wildcards.k), Sampling.from_dict(sm.params.settings), sm.params.seed,
                  sm.input.model, sm.output[0], sm.params.code, sm.params.device, progress=True,
                  training=Training.from_dict(sm.params.training), cl_path=sm.input.cl,
                  sites=getattr(sm.params, "sites", None))


job.run(snakemake, "sample", main)  # noqa: F821
