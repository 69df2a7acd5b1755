"""Stages figure_boundary and figure_trust: the evidence for or against CL of one point (from its
cl_diagnostics.json), and the study's CL errors next to the boundary terms (from the trust table)."""

from __future__ import annotations

from cldm.io import read_csv, read_json
from cldm.plots.figures import point_title, save
from cldm.plots.trust import boundary_figure, trust_figure


def boundary(point: str, physics: dict, diagnostics_path: str, paths: list[str]) -> None:
    """B_O(Y) with its plateau and the drift histogram of one point."""
    save(boundary_figure(read_json(diagnostics_path), point_title(point, physics)), paths)


def study(table_path: str, paths: list[str]) -> None:
    """Per point, (CL - exact)/error next to the boundary-term plateau/error."""
    save(trust_figure(read_csv(table_path)), paths)
