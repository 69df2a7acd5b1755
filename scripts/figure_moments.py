"""Rule figure_moments."""

from cldm import job
from cldm.io import read_csv
from cldm.plots import moments_figure, point_title, save


def main(sm):
    save(moments_figure(read_csv(sm.input.moments), f"{point_title(sm.wildcards.point, sm.params.physics)}: moments"),
         list(sm.output))


job.run(snakemake, "figure_moments", main)  # noqa: F821
