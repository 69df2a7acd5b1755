"""Stage moments: <z^n> and kappa_n of exact, CL and the DM ensemble of one point, and their error budget."""

from __future__ import annotations

from cldm.analysis.moments import Ensemble, moment_tables
from cldm.analysis.split import member_chains
from cldm.io import load_chains, load_samples, write_csv
from cldm.provenance import provenance
from cldm.settings.training import Training


def point_moments(point: str, physics: dict, training: Training, cl_path: str, dm_path: str, moments_path: str,
                  errors_path: str, code: str | None = None) -> None:
    """<z^n> and kappa_n of exact, CL and the DM ensemble (pooled over the members' shares), and the error budget."""
    z, _ = load_chains(cl_path)
    dm = load_samples(dm_path)
    shares = [member_chains(len(z), training.ensemble, k, training.val_fraction)[0] for k in range(training.ensemble)]
    table, budget = moment_tables(physics, z, {"DM": Ensemble.from_archive(dm, shares)})
    meta = provenance(dict(point=point, physics=physics), code=code)
    write_csv(moments_path, table, meta)
    write_csv(errors_path, budget, meta)
