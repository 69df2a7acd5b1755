"""Rule figure_distributions."""

from cldm import job
from cldm.stages import figures

job.run(snakemake, "figure_distributions",  # noqa: F821
        lambda sm: figures.distributions(sm.wildcards.point, sm.params.physics, sm.input.cl, sm.input.dm, list(sm.output),
                                          sm.params.estimator))
