"""Rule figure_correlator."""

from cldm import job
from cldm.stages import figures

job.run(snakemake, "figure_correlator",  # noqa: F821
        lambda sm: figures.correlator(sm.wildcards.point, sm.params.physics, sm.input.observables, list(sm.output)))
