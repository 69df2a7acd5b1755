"""Rule figure_loss."""

from cldm import job
from cldm.stages import figures

job.run(snakemake, "figure_loss", lambda sm: figures.loss(sm.wildcards.point, list(sm.input.losses), list(sm.output),
                                                           sm.params.kind))  # noqa: F821
