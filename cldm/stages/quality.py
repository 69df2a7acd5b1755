"""Stage quality: DM samples against the CL chains no member saw, and the strip."""

from __future__ import annotations

from cldm.analysis.quality import dm_quality
from cldm.analysis.split import held_out
from cldm.io import load_chains, load_samples, write_json
from cldm.physics.exact import strip_edge
from cldm.provenance import derive_seed, provenance
from cldm.settings.training import Training


def point_quality(point: str, physics: dict, training: Training, seed: int, cl_path: str, dm_path: str, path: str,
                  code: str | None = None) -> None:
    """DM against the CL chains no member saw, relative to the CL-CL floor, and the strip."""
    z, _ = load_chains(cl_path)
    unseen = z[held_out(len(z), training.ensemble, training.val_fraction)]
    result = dm_quality(unseen, load_samples(dm_path)["z"], strip_edge(physics), derive_seed(seed, "quality", point))
    write_json(path, dict(result, provenance=provenance(dict(point=point, physics=physics), seed, code)))
