"""Rule figure_field: the flows and density figures."""

from cldm import job
from cldm.stages.field_figures import field


def main(sm):
    field(sm.wildcards.field, sm.wildcards.point, sm.params.physics, sm.input.cl, sm.input.model, sm.params.bins,
          list(sm.output))


job.run(snakemake, "figure_field", main)  # noqa: F821
