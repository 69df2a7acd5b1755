# The scans of the study (STUDY.scans, cldm/scans.py) and the helpers of the scan rules
# (workflow/rules/scans.smk).
import dataclasses

from cldm.scans import CL_ROLES, ROLES

SCANS = STUDY.scans


def scan_points(scan, *roles):
    """The internal points of a scan's values of these roles."""
    return [SCANS[scan].point(v) for v in SCANS[scan].role(*roles)]


def cl_labels(scan):
    """The labels of a scan's values with a CL run, in the order of scan_points(scan, *CL_ROLES)."""
    return [v.label for v in SCANS[scan].role(*CL_ROLES)]


def scan_value(w):
    return SCANS[w.scan].find(w.role, w.label)


def cdm_files(scan):
    """The cDM samples of every value of a scan (CL values and grid), and their keys role/label."""
    values = SCANS[scan].role(*ROLES)
    return [f"results/scans/{scan}/{v.role}/{v.label}/cdm.npz" for v in values], [f"{v.role}/{v.label}" for v in values]


def nearest(scan):
    """Test value label -> internal point of its nearest training value, where per-point models are
    trained for the comparison (scan.baseline)."""
    spec = SCANS[scan]
    if not spec.scan.baseline:
        return {}
    return {v.label: spec.point(spec.nearest_training(v)) for v in spec.role("test", "extrapolation")}
