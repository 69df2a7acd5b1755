"""Stage quality: DM samples against the CL chains no member saw, and the strip; for a chain point
also the covariance of the sites against CL's and, for the Gaussian chain, the exact one."""

from __future__ import annotations

from cldm.analysis.quality import dm_quality, field_covariance_quality
from cldm.analysis.split import held_out
from cldm.io import load_chains, load_samples, write_json
from cldm.physics.chain_exact import gaussian_chain_cl_covariance
from cldm.physics.exact import strip_edge
from cldm.provenance import derive_seed, provenance
from cldm.settings.training import Training


def point_quality(point: str, physics: dict, training: Training, seed: int, cl_path: str, dm_path: str, path: str,
                  code: str | None = None) -> None:
    """DM against the CL chains no member saw, relative to the CL-CL floor, and the strip. For fields
    (a chain point) the same for the values of one site (all sites pooled: translation invariance),
    and `covariance`: cldm.analysis.quality.field_covariance_quality (exact for lam = 0)."""
    z, _ = load_chains(cl_path)
    unseen_chains = held_out(len(z), training.ensemble, training.val_fraction)
    dm = load_samples(dm_path)
    unseen = z[unseen_chains].reshape(len(unseen_chains), -1)
    result = dm_quality(unseen, dm["z"], strip_edge(physics), derive_seed(seed, "quality", point))
    if z.ndim == 3:
        L = z.shape[2]
        exact = gaussian_chain_cl_covariance(physics["A"], physics["B"], L) if physics["lam"] == 0 else None
        result["covariance"] = field_covariance_quality(z, dm["z"].reshape(-1, L), 1 - len(unseen_chains) / len(z), exact)
    write_json(path, dict(result, provenance=provenance(dict(point=point, physics=physics), seed, code)))
