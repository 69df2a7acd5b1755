"""Rule figure_trust."""

from cldm import job
from cldm.stages import trust_figures

job.run(snakemake, "figure_trust", lambda sm: trust_figures.study(sm.input.table, list(sm.output)))  # noqa: F821
