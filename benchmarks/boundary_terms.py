"""What the trust diagnostics (boundary terms, drift decay, relaxation rate) add to a point's CL job:
the job's parts timed side by side in one run, per point, with the default Langevin settings
unless overridden; prints JSON.

    .venv/bin/python benchmarks/boundary_terms.py [--points 1+1j:1 "(-2+1j):1"] [--chains 4096] [--samples 2500]

A point is sigma:lambda (Python complex literals, in parentheses where sigma is negative). `job_s`
is what the langevin rule does apart from the diagnostics (the chains, the step-size scan, writing
the archive); `diagnostics_s` is cl_diagnostics; `overhead` = diagnostics_s / job_s.
"""

import argparse
import json
import os
import tempfile
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one thread, as Snakemake runs the job
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from cldm.io import save_samples  # noqa: E402
from cldm.physics.actions import Quartic  # noqa: E402
from cldm.physics.diagnostics import cl_diagnostics, step_scan  # noqa: E402
from cldm.physics.langevin import simulate  # noqa: E402
from cldm.settings.langevin import Langevin  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def measure(sigma: complex, lam: complex, settings: Langevin, seed: int) -> dict:
    action = Quartic(sigma, lam)
    physics = dict(model="quartic", A=sigma.real, B=sigma.imag, lam=lam.real, lam_im=lam.imag)
    z, t_sim = timed(lambda: simulate(action, **settings.engine(), seed=seed))
    _, t_scan = timed(lambda: step_scan(action, settings, seed + 1))
    with tempfile.TemporaryDirectory() as tmp:
        _, t_save = timed(lambda: save_samples(os.path.join(tmp, "cl.npz"), z, {}, chains=np.int64(settings.chains)))
    d, t_diag = timed(lambda: cl_diagnostics(action, physics, z, settings))
    job = t_sim + t_scan + t_save
    return dict(sigma=str(sigma), lam=str(lam), samples=int(z.size), simulate_s=round(t_sim, 2),
                step_scan_s=round(t_scan, 2), save_s=round(t_save, 2), job_s=round(job, 2),
                diagnostics_s=round(t_diag, 2), overhead=round(t_diag / job, 3), trusted=d["trusted"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", nargs="+", default=["1+1j:1", "-2+1j:1"])
    ap.add_argument("--chains", type=int, default=Langevin().chains)
    ap.add_argument("--samples", type=int, default=Langevin().samples)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    settings = Langevin(chains=a.chains, samples=a.samples)
    rows = [measure(complex(s), complex(lam), settings, a.seed) for s, lam in (p.split(":") for p in a.points)]
    print(json.dumps(dict(chains=a.chains, samples=a.samples, points=rows,
                          max_overhead=max(r["overhead"] for r in rows)), indent=2))


if __name__ == "__main__":
    main()
