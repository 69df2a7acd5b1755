"""Chain-steps per second of the quartic CL update, against a straightforward NumPy Euler loop
and against the normal-random-number generator alone (which bounds any implementation that
draws one normal per chain-step); and site-updates per second of the periodic chain (L sites per
field, chains / L fields: the same number of complex variables) next to the one-variable engine's
updates per variable. All measured side by side in one run; prints JSON.

    .venv/bin/python benchmarks/langevin_speed.py [--chains 4096] [--steps 2000] [--repeats 3] [--sites 8]
"""

import argparse
import json
import time

import numpy as np

from cldm.physics.actions import Chain, Quartic
from cldm.physics.langevin import simulate

SIGMA, LAM, EPS = 1 + 1j, 1.0, 0.01


def baseline(chains: int, steps: int) -> None:
    """What a new user writes: complex128 state, a fresh standard_normal per step."""
    rng = np.random.default_rng(0)
    z = np.zeros(chains, dtype=np.complex128)
    for _ in range(steps):
        z = z - EPS * (SIGMA * z + LAM * z**3) + np.sqrt(2 * EPS) * rng.standard_normal(chains)


def rng_only(chains: int, steps: int) -> None:
    rng = np.random.default_rng(0)
    buf = np.empty((256, chains))
    for _ in range(steps // 256):
        rng.standard_normal(out=buf)


def engine(integrator: str, kref, sites: int | None = None):
    """The engine on `chains` one-variable chains, or (sites set) on chains // sites fields of that many sites."""
    def run(chains: int, steps: int) -> None:
        action, n = (Quartic(SIGMA, LAM), chains) if sites is None else (Chain(SIGMA, LAM, sites), chains // sites)
        simulate(action, chains=n, samples=steps // 10, interval=10 * EPS, therm=0.0, eps=EPS,
                 integrator=integrator, kref=kref, seed=0)
    return run


def rate(fn, chains: int, steps: int, repeats: int) -> float:
    """Best of `repeats` (the least disturbed run on a shared machine), in chain-steps per second."""
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn(chains, steps)
        best = min(best, time.perf_counter() - t)
    return chains * steps / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--chains", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sites", type=int, default=8, help="sites L of the chain cases")
    a = ap.parse_args()
    cases = {"baseline_numpy_euler": baseline, "rng_normal_only": rng_only,
             "engine_euler": engine("euler", None), "engine_heun": engine("heun", None),
             "engine_heun_adaptive": engine("heun", 20.0)}
    fields = {f"chain_L{a.sites}_euler": engine("euler", None, a.sites),
              f"chain_L{a.sites}_heun": engine("heun", None, a.sites),
              f"chain_L{a.sites}_heun_adaptive": engine("heun", 20.0, a.sites)}
    rates = {name: rate(fn, a.chains, a.steps, a.repeats) for name, fn in (cases | fields).items()}
    base, bound = rates["baseline_numpy_euler"], rates["rng_normal_only"]
    print(json.dumps(dict(
        chains=a.chains, steps=a.steps, sites=a.sites,
        chain_steps_per_second={k: round(v) for k, v in rates.items() if k in cases},
        speedup_vs_baseline={k: round(v / base, 2) for k, v in rates.items() if k in cases},
        fraction_of_rng_bound={k: round(v / bound, 2) for k, v in rates.items() if k in cases},
        site_updates_per_second={k: round(v) for k, v in rates.items() if k.startswith(("engine", "chain"))},
        chain_per_variable_vs_one_variable={k: round(rates[k] / rates[k.replace(f"chain_L{a.sites}", "engine")], 2)
                                            for k in fields},
    ), indent=2))


if __name__ == "__main__":
    main()
