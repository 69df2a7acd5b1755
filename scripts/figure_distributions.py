"""Rule figure_distributions."""

from cldm import job
from cldm.fields import exact_density, sample_grid
from cldm.io import load_samples
from cldm.plots import distributions_figure, point_title, save, subsample


def main(sm):
    p = sm.params.physics
    cl, dm = (subsample(load_samples(f)["z"], sm.params.max_samples) for f in (sm.input.cl, sm.input.dm))
    xe, ye, x, y, y_minus = sample_grid(cl, p, sm.params.bins)
    fig = distributions_figure(cl, dm, xe, ye, point_title(sm.wildcards.point, p), exact_density(p, x, y), y_minus)
    save(fig, list(sm.output))


job.run(snakemake, "figure_distributions", main)  # noqa: F821
