"""Rule figure_flows."""

import torch

from cldm import job
from cldm.actions import make_action
from cldm.fields import drift, histogram, sample_grid, score, vector_field
from cldm.io import load_samples
from cldm.plots import flows_figure, point_title, save, subsample
from cldm.train import load_model


def main(sm):
    p, t = sm.params.physics, sm.params.score_t
    cl = subsample(load_samples(sm.input.cl)["z"], sm.params.max_samples)
    model = load_model(sm.input.model)
    xe, ye, x, y, y_minus = sample_grid(cl, p, sm.params.bins)
    label = f"learned score $s_\\theta(x, y, t)$ of member 0, σ(t) = {float(model.sde.sigma(torch.tensor(t))):.2g}"
    fig = flows_figure(xe, ye, vector_field(drift(make_action(**p)), x, y), vector_field(score(model, t), x, y),
                       histogram(cl, xe, ye), point_title(sm.wildcards.point, p), label, y_minus)
    save(fig, list(sm.output))


job.run(snakemake, "figure_flows", main)  # noqa: F821
