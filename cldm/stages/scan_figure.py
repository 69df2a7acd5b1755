"""Stage scan_figure: a scan's moments against its varying parameter, PDF and PNG."""

from __future__ import annotations

import numpy as np

from cldm.analysis.scan import scan_title
from cldm.io import read_csv
from cldm.physics.exact import exact_moments
from cldm.plots.figures import save
from cldm.plots.scan import exact_curve, scan_figure

CURVE_POINTS = 201
"""Values of the exact curve across the figure."""


def figure(scan: str, physics: dict, varying: list[str], moments_path: str, paths: list[str]) -> None:
    """The scan's moments against its first varying parameter (with several, along the line of the
    grid from the smallest to the largest values)."""
    table = read_csv(moments_path)
    ends = table[varying].to_numpy(dtype=float)
    line = np.linspace(ends.min(0), ends.max(0), CURVE_POINTS)
    curve = exact_curve([{**physics, **dict(zip(varying, p))} for p in line], varying[0], exact_moments)
    save(scan_figure(table, varying[0], curve, scan_title(scan, physics, varying)), paths)
