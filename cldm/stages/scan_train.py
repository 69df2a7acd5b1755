"""Stage scan_train: one member of a scan's conditioned score-model ensemble, trained on its share
of the chains of every training value."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from cldm.analysis.split import member_chains
from cldm.coords import to_xy
from cldm.dm.checkpoint import save_model
from cldm.dm.conditioned import training_rows
from cldm.dm.train import Trained, train
from cldm.io import load_chains, write_csv
from cldm.provenance import derive_seed, provenance
from cldm.settings.scan import ConditionedTraining

FAMILY = "conditioned"


def train_scan_member(scan: str, member: int, settings: ConditionedTraining, seed: int, values: list[dict],
                      cl_paths: list[str], model_path: str, loss_path: str, resume_path: str | None = None,
                      code: str | None = None, device: str = "cpu", progress: bool = False) -> Trained:
    """Member k learns from chains k, k + K, ... of every training value (`values`: the scan's
    training values as plain data, cldm.scans.ScanValue; `cl_paths` their CL archives, in the same
    order), less its validation chains, as rows (x, y, p) with p the value's varying parameters; from
    the stream (seed, 'scan_train', scan, k). A checkpoint at `resume_path` made for the same
    provenance (settings, CL data, code) is resumed from."""
    rows, val, cl = [], [], []
    for value, path in zip(values, cl_paths, strict=True):
        z, data = load_chains(path)
        train_idx, val_idx = member_chains(len(z), settings.ensemble, member, settings.val_fraction)
        rows.append(training_rows(to_xy(z[train_idx]), value["values"]))
        val.append(training_rows(to_xy(z[val_idx]), value["values"]))
        cl.append(data["provenance"]["params"])
    meta = provenance(dict(scan=scan, member=member, training_values=[v["label"] for v in values],
                           training=settings.as_dict(), cl=cl), seed, code)
    fingerprint = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    result = train(np.concatenate(rows), np.concatenate(val), settings, derive_seed(seed, "scan_train", scan, member),
                   resume_path, fingerprint, progress=progress, device=device, family=FAMILY)
    save_model(result.model, settings, model_path, meta, family=FAMILY)
    write_csv(loss_path, pd.DataFrame(result.log), meta)
    return result
