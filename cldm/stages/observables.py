"""Stage observables: the observables table of a chain point (exact and CL)."""

from __future__ import annotations

from cldm import CldmError
from cldm.analysis.observables import observables_table
from cldm.io import load_chains, write_csv
from cldm.provenance import provenance


def point_observables(point: str, physics: dict, cl_path: str, out_path: str, code: str | None = None) -> None:
    """<phi^n>, G(r), chi, <M^n> and kappa_4 of M of a chain point: exact and CL (Gamma-method
    errors), in the layout of cldm.analysis.observables (`observable,n,estimator,re,re_err,im,im_err`)."""
    phi, _ = load_chains(cl_path)
    if phi.ndim != 3:
        raise CldmError(f"{cl_path} holds one variable per sample, not the fields of a chain point")
    write_csv(out_path, observables_table(physics, phi), provenance(dict(point=point, physics=physics), code=code))
