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
    that length (i.i.d. errors per member, random effects over the members' values: there are no
    CL data at this length to measure deviations from)."""
    parts = [load_fields(p)[0] for p in sample_paths]
    phi = np.concatenate(parts)
    member = np.concatenate([np.full(len(p), k) for k, p in enumerate(parts)])
    exact = chain_exact(physics["A"], physics["B"], physics["lam"], sites)
    table = pd.concat([exact_rows(exact), dm_rows(phi, member)], ignore_index=True)
    write_csv(out_path, table, provenance(dict(point=point, physics=physics, sites=sites), code=code))
