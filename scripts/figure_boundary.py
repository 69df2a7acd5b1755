"""Rule figure_boundary."""

from cldm import job
from cldm.stages import trust_figures

job.run(snakemake, "figure_boundary",  # noqa: F821
        lambda sm: trust_figures.boundary(sm.wildcards.point, sm.params.physics, sm.input.diagnostics, list(sm.output)))
