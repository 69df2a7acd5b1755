"""Stage transfer: a chain point's models applied at another chain length, against exact there."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cldm.analysis.observables import dm_rows, exact_rows
from cldm.io import load_fields, write_csv
from cldm.physics.chain_exact import chain_exact
from cldm.provenance import provenance


def point_transfer(point: str, physics: dict, sites: int, sample_paths: list[str], out_path: str,
                   code: str | None = None) -> None:
    """The observables table at `sites` sites: exact there, and DM from every member's samples of
    that length (i.i.d. errors per member, controlled by their reference samples where present, random effects over the members' values: there are no
    CL data at this length to measure deviations from)."""
    parts = [load_fields(p) for p in sample_paths]
    phi = np.concatenate([p[0] for p in parts])
    member = np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)])
    refs = None
    if all("z_ref" in data for _, data in parts):
        refs = (np.concatenate([data["z_ref"] for _, data in parts]).reshape(phi.shape),
                np.stack([data["ref_mean"] for _, data in parts]), np.stack([data["ref_cov"] for _, data in parts]))
    exact = chain_exact(physics["A"], physics["B"], physics["lam"], sites)
    table = pd.concat([exact_rows(exact), dm_rows(phi, member, refs=refs)], ignore_index=True)
    write_csv(out_path, table, provenance(dict(point=point, physics=physics, sites=sites), code=code))
