"""Rule figure_moments."""

from cldm import job
from cldm.io import read_csv
from cldm.plots import moments_figure, save
from cldm.tables import title


def main(sm):
    save(moments_figure(read_csv(sm.input.moments), title(sm.wildcards.point, sm.params.physics)), list(sm.output))


job.run(snakemake, "figure_moments", main)  # noqa: F821
