"""Stage figure_field: the figures that evaluate the learned score (or energy) of ensemble member 0 on
a grid of the (x, y) plane, with the CL samples: `flows` and `density`, each written as PDF and PNG."""

from __future__ import annotations

import sys

from cldm.dm.checkpoint import load_model
from cldm.io import load_samples
from cldm.physics.actions import make_action
from cldm.plots.fields import (drift, energy, exact_density, grid_values, histogram, log_density_from_score,
                               normalised_density, sample_grid, score, total_variation, vector_field)
from cldm.plots.figures import density_figure, flows_figure, point_title, save, subsample
from cldm.stages.figures import MAX_SAMPLES

SCORE_T = 1e-3
"""VE time of the learned score shown as s_theta(x, y, t -> 0): sigma(t) = 0.03 for alpha = 25."""


def field(name: str, point: str, physics: dict, cl_path: str, model_path: str, bins: int, paths: list[str]) -> None:
    """`flows`: streamlines and curl of the CL drift and of the learned score; `density`: the model's
    density against the CL histogram (and the exact P), with the total-variation distances (also
    written to the log): for a model with an energy the explicit P_theta = exp(-E_theta)/Z (Z by
    quadrature over the grid), otherwise integrated from the learned score along lines; on a grid
    of bins x bins cells."""
    cl = subsample(load_samples(cl_path)["z"], MAX_SAMPLES)
    model = load_model(model_path)
    xe, ye, x, y, y_minus = sample_grid(cl, physics, bins)
    s = vector_field(score(model, SCORE_T), x, y)
    sigma = f"σ(t) = {float(model.sde.sigma_of(SCORE_T)):.2g}"
    title = point_title(point, physics)
    if name == "flows":
        label = f"learned score $s_\\theta(x, y, t)$ of member 0, {sigma}"
        fig = flows_figure(xe, ye, vector_field(drift(make_action(**physics)), x, y), s, histogram(cl, xe, ye), title,
                           label, y_minus)
    else:
        dx, dy = xe[1] - xe[0], ye[1] - ye[0]
        explicit = hasattr(model, "energy")
        if explicit:
            p_theta = normalised_density(-grid_values(energy(model, SCORE_T), x, y), dx, dy)
            label = f"$P_\\theta = e^{{-E_\\theta}}/Z$ of member 0, {sigma}"
        else:
            p_theta = normalised_density(log_density_from_score(*s, dx, dy), dx, dy)
            label = f"$P_\\theta$ from the score of member 0, {sigma}"
        cl_density, exact = histogram(cl, xe, ye), exact_density(physics, x, y)
        distances = {"CL": total_variation(p_theta, cl_density, dx, dy)}
        if exact is not None:
            distances["exact P"] = total_variation(p_theta, exact, dx, dy)
        print("total-variation distance of P_theta to " + ", ".join(f"{k}: {v:.4f}" for k, v in distances.items()),
              file=sys.stderr)
        fig = density_figure(xe, ye, cl_density, p_theta, title, label, exact, y_minus,
                             "explicit density of the learned energy" if explicit else "density from the learned score")
    save(fig, paths)
