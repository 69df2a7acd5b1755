"""Rule langevin."""

from cldm import job
from cldm.settings.langevin import Langevin
from cldm.stages.langevin import run_langevin


def main(sm):
    run_langevin(sm.wildcards.point, sm.params.physics, Langevin.from_dict(sm.params.settings), sm.params.seed,
                 sm.output.samples, sm.output.diagnostics, sm.params.code, progress=True)


job.run(snakemake, "langevin", main)  # noqa: F821
