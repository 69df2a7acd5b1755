"""Chain-steps per second of the quartic CL update, against a straightforward NumPy Euler loop
and against the normal-random-number generator alone (which bounds any implementation that
draws one normal per chain-step). All measured side by side in one run; prints JSON.

    .venv/bin/python benchmarks/langevin_speed.py [--chains 4096] [--steps 2000] [--repeats 3]
"""

import argparse
import json
import time

import numpy as np

from cldm.physics.actions import Quartic
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


def engine(integrator: str, kref):
    def run(chains: int, steps: int) -> None:
        simulate(Quartic(SIGMA, LAM), chains=chains, samples=steps // 10, interval=10 * EPS, therm=0.0, eps=EPS,
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
    a = ap.parse_args()
    cases = {"baseline_numpy_euler": baseline, "rng_normal_only": rng_only,
             "engine_euler": engine("euler", None), "engine_heun": engine("heun", None),
             "engine_heun_adaptive": engine("heun", 20.0)}
    rates = {name: rate(fn, a.chains, a.steps, a.repeats) for name, fn in cases.items()}
    base, bound = rates["baseline_numpy_euler"], rates["rng_normal_only"]
    print(json.dumps(dict(
        chains=a.chains, steps=a.steps,
        chain_steps_per_second={k: round(v) for k, v in rates.items()},
        speedup_vs_baseline={k: round(v / base, 2) for k, v in rates.items()},
        fraction_of_rng_bound={k: round(v / bound, 2) for k, v in rates.items()},
    ), indent=2))


if __name__ == "__main__":
    main()
