"""Rule train: one ensemble member's score model on its share of the CL chains."""

import hashlib
import json

import numpy as np
import pandas as pd

from cldm import job
from cldm.io import load_samples, write_csv
from cldm.provenance import derive_seed, provenance
from cldm.split import member_chains
from cldm.train import TrainConfig, save_model, train


def _xy(z):
    return np.stack([z.real.ravel(), z.imag.ravel()], axis=1)


def main(sm):
    s, point, k = sm.params.settings, sm.wildcards.point, int(sm.wildcards.k)
    data = load_samples(sm.input.samples)
    z = data["z"].reshape(int(data["chains"]), -1)
    train_idx, val_idx = member_chains(len(z), s["ensemble"], k, s["val_fraction"])
    cfg = TrainConfig.from_dict(s)
    seed = derive_seed(sm.params.seed, "train", point, k)
    meta = provenance(dict(point=point, member=k, training=s, cl=data["provenance"]["params"]), sm.params.seed)
    fingerprint = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    model, log = train(_xy(z[train_idx]), _xy(z[val_idx]), cfg, seed, sm.params.resume, fingerprint, progress=True)
    save_model(model, cfg, sm.output.model, meta)
    write_csv(sm.output.loss, pd.DataFrame(log), meta)


job.run(snakemake, "train", main)  # noqa: F821
