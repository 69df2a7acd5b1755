"""Stage scan_sample: samples of every member of a scan's conditioned ensemble at one value."""

from __future__ import annotations

import numpy as np

from cldm.dm.checkpoint import load_model
from cldm.dm.device import resolve_device
from cldm.io import save_samples
from cldm.provenance import derive_seed, provenance
from cldm.settings.sampling import Sampling
from cldm.stages.sampling import draw_samples


def sample_scan_value(scan: str, value: dict, settings: Sampling, seed: int, model_paths: list[str], path: str,
                      code: str | None = None, device: str = "cpu", progress: bool = False) -> None:
    """settings.samples draws of each member's model at the value's parameters (`value`: a
    cldm.scans.ScanValue as plain data), member k from the stream (seed, 'sample',
    'scans/{scan}/{role}/{label}', k), in one archive with the member of each sample (the layout of
    a point's dm.npz). Its provenance says whether the model saw this value's data (`seen`)."""
    dev = resolve_device(device)
    parts = [draw_samples(load_model(p, dev).at(value["values"]), settings,
                          derive_seed(seed, "scan_sample", scan, value["role"], value["label"], k), dev, progress)
             for k, p in enumerate(model_paths)]
    refs = {}
    if all(r for _, r in parts):
        refs = dict(z_ref=np.concatenate([r["z_ref"] for _, r in parts]),
                    ref_mean=np.stack([r["ref_mean"] for _, r in parts]), ref_cov=np.stack([r["ref_cov"] for _, r in parts]))
    meta = provenance(dict(scan=scan, value=value, seen=value["role"] == "train", sampling=settings.params(),
                           device=str(dev)), seed, code)
    save_samples(path, np.concatenate([z for z, _ in parts]), meta,
                 member=np.concatenate([np.full(len(z), k, dtype=np.int64) for k, (z, _) in enumerate(parts)]), **refs)
