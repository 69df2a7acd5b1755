"""Stage pool: every ensemble member's DM samples of a point in one archive."""

from __future__ import annotations

import numpy as np

from cldm.io import load_samples, save_samples


def pool_members(member_paths: list[str], path: str) -> None:
    """Every member's samples in one archive, with the member of each sample (and the control
    variates' reference samples and laws where every member has them; a Metropolis-adjusted
    sampler's acceptance per member and level, and its levels). Fields (archives with `sites`)
    keep their `sites`, and `member` has one entry per field."""
    parts = [load_samples(p) for p in member_paths]
    z = np.concatenate([p["z"] for p in parts])
    sites = int(parts[0].get("sites", 1))
    member = np.concatenate([np.full(len(p["z"]) // sites, k, dtype=np.int64) for k, p in enumerate(parts)])
    refs = {}
    if all("z_ref" in p for p in parts):
        refs = dict(z_ref=np.concatenate([p["z_ref"] for p in parts]), ref_mean=np.stack([p["ref_mean"] for p in parts]),
                    ref_cov=np.stack([p["ref_cov"] for p in parts]))
    if all("acceptance" in p for p in parts):
        refs.update(acceptance=np.stack([p["acceptance"] for p in parts]), mh_sigma=parts[0]["mh_sigma"])
    if "sites" in parts[0]:
        refs["sites"] = parts[0]["sites"]
    save_samples(path, z, dict(members=[p["provenance"] for p in parts]), member=member, **refs)
