"""Rule langevin: CL samples and diagnostics of one point."""

import numpy as np

from cldm import job
from cldm.actions import make_action
from cldm.diagnostics import simulate_args, cl_diagnostics, step_scan
from cldm.io import save_samples, write_json
from cldm.langevin import simulate
from cldm.provenance import derive_seed, provenance


def main(sm):
    physics, s, point = sm.params.physics, sm.params.settings, sm.wildcards.point
    action = make_action(**physics)
    seed = derive_seed(sm.params.seed, "langevin", point)
    z = simulate(action, **simulate_args(s), seed=seed, progress=True)
    diagnostics = cl_diagnostics(action, physics, z)
    diagnostics["step_scan"] = step_scan(action, s, s["step_scan"], s["scan_chains"], derive_seed(seed, "scan"))
    meta = provenance(dict(point=point, physics=physics, langevin=s), sm.params.seed)
    save_samples(sm.output.samples, z, meta, chains=np.int64(s["chains"]))
    write_json(sm.output.diagnostics, dict(diagnostics, provenance=meta))


job.run(snakemake, "langevin", main)  # noqa: F821
