"""Energy model against score model: training and sampling speed, side by side; prints JSON.

* training samples per second of each kind (one thread, the study's network and batch size), the
  kinds alternating over `--repeats` rounds so that both see the same load on a shared machine;
* samples per second of the study's sampler (sampling.sampler's default, its default steps) for each
  kind, and of the Metropolis-adjusted sampler (MH_SAMPLER, its default options) for the energy model;
* the ratios energy / score (the cost of the double backward and of the energy's evaluations).

    .venv/bin/python benchmarks/energy_speed.py [--steps 300] [--samples 16384] [--repeats 3]
"""

import argparse
import json
import time

import numpy as np
import torch

from cldm.dm.energy import EnergyNet
from cldm.dm.model import ScoreNet
from cldm.dm.sample import generate
from cldm.dm.samplers import MH_SAMPLER
from cldm.dm.sde import VESDE
from cldm.dm.train import train
from cldm.settings.sampling import Sampling
from cldm.settings.training import Training

NETWORKS = {"score": ScoreNet, "energy": EnergyNet}
SAMPLER = Sampling().sampler  # the study's


def training_rate(kind: str, steps: int) -> float:
    data = np.random.default_rng(0).standard_normal((100_000, 2))
    cfg = Training(steps=steps, log_every=steps, warmup=10)
    t = time.perf_counter()
    train(data, data[:5000], cfg, seed=0, family=kind)
    return steps * cfg.batch_size / (time.perf_counter() - t)


def sampling_rate(kind: str, sampler: str, n: int) -> float:
    torch.manual_seed(0)
    model = NETWORKS[kind](VESDE(25.0), torch.zeros(2), torch.eye(2)).requires_grad_(False)
    s = Sampling(sampler=sampler)
    t = time.perf_counter()
    generate(model, model.sde, n, 2, sampler, s.steps, seed=0, batch=s.batch, **s.options())
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=300, help="training steps per measurement")
    ap.add_argument("--samples", type=int, default=16384, help="samples per sampling measurement")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    runs = {"train": {k: [] for k in NETWORKS}, SAMPLER: {k: [] for k in NETWORKS}, MH_SAMPLER: {"energy": []}}
    for _ in range(a.repeats):  # alternating: both kinds under the same load
        for kind in NETWORKS:
            runs["train"][kind].append(training_rate(kind, a.steps))
            runs[SAMPLER][kind].append(sampling_rate(kind, SAMPLER, a.samples))
        runs[MH_SAMPLER]["energy"].append(sampling_rate("energy", MH_SAMPLER, a.samples))
    best = {what: {k: max(v) for k, v in kinds.items()} for what, kinds in runs.items()}
    print(json.dumps(dict(
        training_samples_per_second={k: round(v) for k, v in best["train"].items()},
        sampling_samples_per_second={f"score {SAMPLER}": round(best[SAMPLER]["score"]),
                                     f"energy {SAMPLER}": round(best[SAMPLER]["energy"]),
                                     f"energy {MH_SAMPLER}": round(best[MH_SAMPLER]["energy"])},
        ratio_energy_to_score={"training": round(best["train"]["energy"] / best["train"]["score"], 3),
                               f"sampling_{SAMPLER}": round(best[SAMPLER]["energy"] / best[SAMPLER]["score"], 3),
                               f"sampling_{MH_SAMPLER}": round(best[MH_SAMPLER]["energy"] / best[SAMPLER]["score"], 3)},
        settings=dict(training=dict(batch_size=Training().batch_size, hidden=list(Training().hidden), steps=a.steps),
                      sampling={SAMPLER: Sampling().params(), MH_SAMPLER: Sampling(sampler=MH_SAMPLER).params()},
                      samples=a.samples, repeats=a.repeats, statistic="best of repeats (a shared machine)"),
    ), indent=2))


if __name__ == "__main__":
    main()
