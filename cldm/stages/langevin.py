"""Stage langevin: CL samples of one point and the diagnostics that say whether to trust them."""

from __future__ import annotations

import numpy as np

from cldm.io import save_samples, write_json
from cldm.physics.actions import make_action
from cldm.physics.diagnostics import chain_diagnostics, cl_diagnostics, step_scan
from cldm.physics.langevin import simulate
from cldm.provenance import derive_seed, provenance
from cldm.settings.langevin import Langevin


def run_langevin(point: str, physics: dict, settings: Langevin, seed: int, samples_path: str, diagnostics_path: str,
                 code: str | None = None, progress: bool = False) -> None:
    """Chains of `settings` from the stream (seed, 'langevin', point), their diagnostics and a
    step-size scan (at the run's own step, the run itself), written as an archive of shape (chains,
    samples) and a JSON file. A field's archive (a chain point) holds shape (chains, samples, sites)
    and the entry `sites`."""
    action = make_action(**physics)
    stream = derive_seed(seed, "langevin", point)
    z = simulate(action, **settings.engine(), seed=stream, progress=progress)
    if action.field_shape:
        diagnostics = chain_diagnostics(action, physics, z)
    else:
        diagnostics = cl_diagnostics(action, physics, z, settings)
    diagnostics["step_scan"] = step_scan(action, settings, derive_seed(stream, "scan"), z)
    meta = provenance(dict(point=point, physics=physics, langevin=settings.as_dict()), seed, code)
    sites = dict(sites=np.int64(z.shape[2])) if action.field_shape else {}
    save_samples(samples_path, z, meta, chains=np.int64(settings.chains), **sites)
    write_json(diagnostics_path, dict(diagnostics, provenance=meta))
