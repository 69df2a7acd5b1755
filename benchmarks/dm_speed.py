"""Score-model speed and solver accuracy; prints JSON.

* training samples per second (one thread, the study's network and batch size);
* per sampler, side by side at about the same network evaluations (NFE) per sample: samples per
  second, and the solver's own error
  - with the exact score of the Gaussian CL distribution (model-independent), as the relative error
    of the sample covariance (independent runs: compare with the statistical floor);
  - for the samplers with exact steps on ei's grid (ei, eipc), on one Brownian path against ei with
    4x the steps (`cldm.dm.coupling`): the bias of <z^n>/n, n = 2, 4, 6, 8, with its error, on a
    Gaussian mixture (exact score, `cldm.dm.mixture`) and on trained members given with --models
    (e.g. results/quartic/model/member0.pt); the study's DM error bars are the yardstick;
* NFE per second against the sampling batch size (activations that fit in the CPU cache are faster).

    .venv/bin/python benchmarks/dm_speed.py [--samples 200000] [--coupled 16384] [--models PATH ...]
"""

import argparse
import json
import time

import numpy as np
import torch

from cldm.dm.checkpoint import load_model
from cldm.dm.coupling import coupled
from cldm.dm.mixture import Mixture
from cldm.dm.model import ScoreNet
from cldm.dm.sample import generate
from cldm.dm.samplers import SAMPLERS, nfe
from cldm.dm.sde import VESDE
from cldm.dm.train import train
from cldm.physics.exact import gaussian_cl_covariance
from cldm.settings.training import Training

NFE = (25, 49, 97, 193)


def steps_for(sampler: str, target: int) -> int:
    """The most steps whose NFE does not exceed `target` (at least 2)."""
    spec = SAMPLERS[sampler]
    return max(2, (target - spec.nfe_extra) // spec.nfe_per_step)


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


def coupled_bias(score, sde: VESDE, sampler: str, steps: int, n: int, to_data=None) -> dict:
    """<z^n>/n (coarse) - <z^n>/n (ei, 4x the steps) on one Brownian path, with errors, n = 2, 4, 6, 8."""
    coarse, fine = coupled(score, sde, n, 2, sampler, steps, 4, seed=7)
    z = [(to_data(d.x) if to_data else d.x).double().numpy() @ [1, 1j] for d in (coarse, fine)]
    out = {}
    for k in (2, 4, 6, 8):
        d = (z[0] ** k - z[1] ** k) / k
        for part in ("re", "im"):
            v = getattr(d, "real" if part == "re" else "imag")
            out[f"z{k}_{part}"] = [float(f"{v.mean():.2e}"), float(f"{v.std() / np.sqrt(len(v)):.1e}")]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=200_000, help="samples of each exact-Gaussian run")
    ap.add_argument("--coupled", type=int, default=16384, help="samples of each coupled run")
    ap.add_argument("--models", nargs="*", default=[], help="trained members to measure the solvers on")
    a = ap.parse_args()
    torch.set_num_threads(1)
    samplers = {}
    for sampler in SAMPLERS:
        samplers[sampler] = [
            dict(steps=s, nfe=nfe(sampler, s), samples_per_second=round(sampling_rate(sampler, s)),
                 covariance_rel_error=round(solver_error(sampler, s, a.samples), 5))
            for s in (steps_for(sampler, target) for target in NFE)
        ]
    sde = VESDE(25.0)
    targets = {"mixture": (Mixture().score(sde), sde, None)}
    for path in a.models:
        model = load_model(path)
        targets[path] = (model, model.sde, model.destandardize)
    bias = {name: {s: [dict(steps=steps_for(s, t), nfe=nfe(s, steps_for(s, t)),
                            **coupled_bias(score, sde_, s, steps_for(s, t), a.coupled, to_data)) for t in NFE]
                   for s in SAMPLERS if SAMPLERS[s].ei_steps}
            for name, (score, sde_, to_data) in targets.items()}
    print(json.dumps(dict(
        training_samples_per_second=round(training_rate()),
        statistical_floor_rel_error=round(float(np.sqrt(2 / a.samples)), 5),
        em_nfe_per_second_by_batch={b: round(sampling_rate("em", 50, batch=b) * nfe("em", 50)) for b in (1024, 8192, 65536)},
        samplers=samplers,
        coupled_bias=bias,
    ), indent=1))


if __name__ == "__main__":
    main()
