"""Rule figure_moments."""

from cldm import job
from cldm.stages import figures

job.run(snakemake, "figure_moments",  # noqa: F821
        lambda sm: figures.moments(sm.wildcards.point, sm.params.physics, sm.input.moments, list(sm.output)))
