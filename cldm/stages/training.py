"""Stage train: one ensemble member's score model on its share of a point's CL chains."""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from cldm.analysis.split import member_chains
from cldm.coords import to_xy
from cldm.dm.checkpoint import save_model
from cldm.dm.kinds import DEFAULT
from cldm.dm.train import Trained, train
from cldm.io import load_chains, write_csv
from cldm.provenance import derive_seed, provenance
from cldm.settings.training import Training


def train_member(point: str, member: int, settings: Training, seed: int, cl_path: str, model_path: str,
                 loss_path: str, resume_path: str | None = None, code: str | None = None, device: str = "cpu",
                 progress: bool = False, kind: str = DEFAULT) -> Trained:
    """Member k of the ensemble of `kind` (cldm.dm.kinds) trains on chains k, k + K, ... (less its
    validation chains) from the stream (seed, 'train', point, k), the same for every kind (a paired
    comparison: same data, batches and noise levels); a checkpoint at `resume_path` made for the same
    provenance (settings, CL data, code) is resumed from. A field's chains (a chain point: shape
    (chains, samples, L)) train the translation-equivariant "field" family on rows of the L sites'
    (x, y) (score kind only); one variable the family of its kind on rows (x, y)."""
    z, data = load_chains(cl_path)
    if z.ndim == 3 and kind != DEFAULT:
        raise ValueError(f"a chain point trains the field score model only, not kind {kind!r}")
    family, width = ("field", 2 * z.shape[2]) if z.ndim == 3 else (kind, 2)
    train_idx, val_idx = member_chains(len(z), settings.ensemble, member, settings.val_fraction)
    meta = provenance(dict(point=point, member=member, kind=kind, training=settings.params(kind),
                           cl=data["provenance"]["params"]), seed, code)
    fingerprint = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    result = train(to_xy(z[train_idx]).reshape(-1, width), to_xy(z[val_idx]).reshape(-1, width), settings,
                   derive_seed(seed, "train", point, member), resume_path, fingerprint, progress=progress, device=device,
                   family=family)
    save_model(result.model, settings, model_path, meta, family=family)
    write_csv(loss_path, pd.DataFrame(result.log), meta)
    return result
