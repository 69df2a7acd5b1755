"""Rule pool: every member's DM samples of a point in one archive."""

import numpy as np

from cldm import job
from cldm.io import load_samples, save_samples


def main(sm):
    parts = [load_samples(path) for path in sm.input.samples]
    z = np.concatenate([p["z"] for p in parts])
    member = np.concatenate([np.full(len(p["z"]), k, dtype=np.int64) for k, p in enumerate(parts)])
    meta = dict(members=[p["provenance"] for p in parts])
    refs = {}
    if all("z_ref" in p for p in parts):  # control variates (em, ei samplers)
        refs = dict(z_ref=np.concatenate([p["z_ref"] for p in parts]), ref_mean=np.stack([p["ref_mean"] for p in parts]),
                    ref_cov=np.stack([p["ref_cov"] for p in parts]))
    save_samples(sm.output[0], z, meta, member=member, **refs)


job.run(snakemake, "pool", main)  # noqa: F821
