"""Rule figure_density."""

import torch

from cldm import job
from cldm.fields import (exact_density, histogram, log_density_from_score, normalised_density, sample_grid, score,
                         vector_field)
from cldm.io import load_samples
from cldm.plots import density_figure, point_title, save, subsample
from cldm.train import load_model


def main(sm):
    p, t = sm.params.physics, sm.params.score_t
    cl = subsample(load_samples(sm.input.cl)["z"], sm.params.max_samples)
    model = load_model(sm.input.model)
    xe, ye, x, y, y_minus = sample_grid(cl, p, sm.params.bins)
    dx, dy = xe[1] - xe[0], ye[1] - ye[0]
    p_theta = normalised_density(log_density_from_score(*vector_field(score(model, t), x, y), dx, dy), dx, dy)
    label = f"$P_\\theta$ from the score of member 0, σ(t) = {float(model.sde.sigma(torch.tensor(t))):.2g}"
    fig = density_figure(xe, ye, histogram(cl, xe, ye), p_theta, point_title(sm.wildcards.point, p), label,
                         exact_density(p, x, y), y_minus)
    save(fig, list(sm.output))


job.run(snakemake, "figure_density", main)  # noqa: F821
