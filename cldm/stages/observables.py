"""Stage observables: the observables table of a chain point (exact, CL and the DM ensemble)."""

from __future__ import annotations

from cldm import CldmError
from cldm.analysis.observables import observables_table
from cldm.analysis.split import member_chains
from cldm.io import load_chains, load_fields, write_csv
from cldm.provenance import provenance
from cldm.settings.training import Training


def point_observables(point: str, physics: dict, cl_path: str, out_path: str, code: str | None = None,
                      dm_path: str | None = None, training: Training | None = None) -> None:
    """<phi^n>, G(r), chi, <M^n> and kappa_4 of M of a chain point: exact, CL (Gamma-method errors)
    and, with `dm_path` (the pooled DM samples) and the `training` settings that split the chains
    among the members, DM (i.i.d. errors per member, controlled by the samplers' reference samples
    where the archive has them, pooled by random effects over the members' deviations from their
    own chains); in the layout of cldm.analysis.observables
    (`observable,n,estimator,re,re_err,im,im_err`)."""
    phi, _ = load_chains(cl_path)
    if phi.ndim != 3:
        raise CldmError(f"{cl_path} holds one variable per sample, not the fields of a chain point")
    dm = {}
    if dm_path is not None:
        phi_dm, data = load_fields(dm_path)
        shares = [member_chains(len(phi), training.ensemble, k, training.val_fraction)[0] for k in range(training.ensemble)]
        refs = (data["z_ref"].reshape(phi_dm.shape), data["ref_mean"], data["ref_cov"]) if "z_ref" in data else None
        dm = dict(phi_dm=phi_dm, member=data["member"], shares=shares, refs=refs)
    write_csv(out_path, observables_table(physics, phi, **dm), provenance(dict(point=point, physics=physics), code=code))
