"""Rule figure_loss."""

from cldm import job
from cldm.io import read_csv
from cldm.plots import loss_figure, save


def main(sm):
    save(loss_figure([read_csv(f) for f in sm.input.losses], f"{sm.wildcards.point}: score-model training"), list(sm.output))


job.run(snakemake, "figure_loss", main)  # noqa: F821
