"""Stages figure_moments, figure_loss, figure_distributions: figures of one point's samples and
results (no model is evaluated), each written as PDF and PNG."""

from __future__ import annotations

from cldm.io import load_samples, read_csv
from cldm.plots.fields import exact_density, sample_grid
from cldm.plots.figures import (correlator_figure, distributions_figure, loss_figure, moments_figure, point_title, save,
                                subsample)

MAX_SAMPLES = 10**6
"""Samples per histogram."""
BINS = 100
"""Grid cells per axis of the (x, y) plane."""


def moments(point: str, physics: dict, moments_path: str, paths: list[str]) -> None:
    save(moments_figure(read_csv(moments_path), f"{point_title(point, physics)}: moments and cumulants"), paths)


def loss(point: str, loss_paths: list[str], paths: list[str], kind: str = "score") -> None:
    save(loss_figure([read_csv(f) for f in loss_paths], f"{point}: {kind}-model training"), paths)


def distributions(point: str, physics: dict, cl_path: str, dm_path: str, paths: list[str], estimator: str = "DM") -> None:
    cl, dm = (subsample(load_samples(f)["z"], MAX_SAMPLES) for f in (cl_path, dm_path))
    xe, ye, x, y, y_minus = sample_grid(cl, physics, BINS)
    save(distributions_figure(cl, dm, xe, ye, point_title(point, physics), exact_density(physics, x, y), y_minus,
                              estimator), paths)


def correlator(point: str, physics: dict, observables_path: str, paths: list[str]) -> None:
    """G(r), r = 0..L/2, of a chain point: exact, CL and DM with errors, and their deviations."""
    table = read_csv(observables_path)
    save(correlator_figure(table[table.observable == "G"], f"{point_title(point, physics)}: two-point function"), paths)
