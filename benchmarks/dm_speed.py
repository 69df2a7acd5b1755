"""Score-model speed and solver accuracy; prints JSON.

* training samples per second (one thread, the study's network and batch size);
* network evaluations (NFE) per sample and samples per second of each sampler, and NFE per second
  against the sampling batch size (activations that fit in the CPU cache are faster);
* accuracy against NFE of each sampler with the exact score of the Gaussian CL distribution
  (model-independent: the solver's own error), as the relative error of the sample covariance.

    .venv/bin/python benchmarks/dm_speed.py [--samples 200000]
"""

import argparse
import json
import time

import numpy as np
import torch

from cldm.physics.exact import gaussian_cl_covariance
from cldm.dm.model import ScoreNet
from cldm.dm.sample import generate
from cldm.dm.samplers import nfe
from cldm.dm.sde import VESDE
from cldm.dm.train import train
from cldm.settings.training import Training

GRID = {"heun": [10, 20, 40, 80], "em": [50, 100, 200, 400], "ei": [25, 50, 100, 200], "pc": [50, 100, 200]}


def training_rate(steps: int = 1000) -> float:
    data = np.random.default_rng(0).standard_normal((100_000, 2))
    cfg = Training(steps=steps, log_every=steps, warmup=10)
    t = time.perf_counter()
    train(data, data[:5000], cfg, seed=0)
    return steps * cfg.batch_size / (time.perf_counter() - t)


def sampling_rate(sampler: str, steps: int, n: int = 65536, batch: int = 8192) -> float:
    model = ScoreNet(VESDE(25.0), torch.zeros(2), torch.eye(2)).requires_grad_(False)
    t = time.perf_counter()
    generate(model, model.sde, n, 2, sampler, steps, seed=0, batch=batch)
    return n / (time.perf_counter() - t)


def solver_error(sampler: str, steps: int, n: int) -> float:
    """max_ij |C_ij(samples) - C_ij| / max|C| with the exact score -(C + sigma^2)^-1 x."""
    c = gaussian_cl_covariance(1, 1)
    cov, sde = torch.tensor(c, dtype=torch.float32), VESDE(25.0)

    def score(x, t):
        return -x @ torch.linalg.inv(cov + sde.sigma(t) ** 2 * torch.eye(2))

    x = generate(score, sde, n, 2, sampler, steps, seed=1).x.double().numpy()
    return float(np.abs(np.cov(x.T) - c).max() / np.abs(c).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=200_000)
    a = ap.parse_args()
    torch.set_num_threads(1)
    samplers = {}
    for sampler, grid in GRID.items():
        samplers[sampler] = [
            dict(steps=s, nfe=nfe(sampler, s), samples_per_second=round(sampling_rate(sampler, s)),
                 covariance_rel_error=round(solver_error(sampler, s, a.samples), 5))
            for s in grid
        ]
    print(json.dumps(dict(
        training_samples_per_second=round(training_rate()),
        statistical_floor_rel_error=round(float(np.sqrt(2 / a.samples)), 5),
        em_nfe_per_second_by_batch={b: round(sampling_rate("em", 50, batch=b) * nfe("em", 50)) for b in (1024, 8192, 65536)},
        samplers=samplers,
    ), indent=2))


if __name__ == "__main__":
    main()
