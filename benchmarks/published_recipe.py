"""The published recipe as a baseline: one score model trained and sampled as in Aarts, Habibi,
Wang, Zhou (the talk's paper, after score_sde), next to one member of ours, on the same CL data and
with the same number of optimiser steps; prints CPU seconds and pulls against exact as JSON.

Published recipe: VE SDE with alpha = 10; MLP hidden [64, 64, 64] on (x, y) concatenated with a
Gaussian-Fourier embedding of t of dimension 256 (score_sde's scale 30); s_theta = MLP / sigma(t);
t uniform in [1e-5, 1]; sigma^2-weighted denoising score matching E|sigma s_theta(x + sigma eps, t)
+ eps|^2; Adam, lr 1e-4, EMA 0.999, batch 1024; Euler-Maruyama with 1000 steps. Ours: the
defaults of cldm/settings/ (whitened data, EDM preconditioning and noise levels, stratified levels,
cosine schedule; the configured sampler with control variates).

A member's pull is (estimate - exact) / sqrt(err_sampling^2 + err_data^2), err_data the CL error
of the chains it trained on (both models see the same chains).

    .venv/bin/python benchmarks/published_recipe.py [--steps 20000] [--samples 200000] [--cl results/quartic/cl.npz]
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import numpy as np
import torch
from torch import nn

from cldm.analysis.split import member_chains
from cldm.analysis.control_variates import cv_moments
from cldm.analysis.stats import moments
from cldm.coords import to_complex, to_xy
from cldm.dm.model import GaussianFourierProjection
from cldm.dm.sample import generate
from cldm.dm.sde import VESDE
from cldm.dm.train import train
from cldm.io import load_chains
from cldm.physics.actions import make_action
from cldm.physics.exact import exact_moments
from cldm.physics.langevin import simulate
from cldm.settings.langevin import Langevin
from cldm.settings.sampling import Sampling
from cldm.settings.training import Training

QUARTIC = dict(model="quartic", A=1.0, B=1.0, lam=1.0)
PUBLISHED = dict(alpha=10.0, hidden=(64, 64, 64), embed_dim=256, embed_scale=30.0, t_eps=1e-5, lr=1e-4, ema=0.999,
                 batch_size=1024, sampler="em", sampler_steps=1000)


class PublishedScoreNet(nn.Module):
    """s_theta(x, t) = MLP([x, e(t)]) / sigma(t), e the Gaussian-Fourier embedding of t (score_sde)."""

    def __init__(self, sde: VESDE):
        super().__init__()
        self.sde = sde
        self.embed = GaussianFourierProjection(PUBLISHED["embed_dim"], PUBLISHED["embed_scale"])
        widths = (2 + PUBLISHED["embed_dim"], *PUBLISHED["hidden"])
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.mlp = nn.Sequential(*layers, nn.Linear(widths[-1], 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = t.expand(len(x)) if t.dim() == 0 else t
        return self.mlp(torch.cat([x, self.embed(t)], dim=1)) / self.sde.sigma(t)[:, None]


def train_published(x: np.ndarray, steps: int, seed: int) -> PublishedScoreNet:
    """The published training loop: uniform t, sigma^2-weighted DSM, Adam, EMA of the weights."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    data = torch.as_tensor(x, dtype=torch.float32)
    model = PublishedScoreNet(VESDE(PUBLISHED["alpha"]))
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=PUBLISHED["lr"])
    ema_update = torch.optim.swa_utils.get_ema_multi_avg_fn(PUBLISHED["ema"])
    for step in range(steps):
        batch = data[torch.randint(len(data), (PUBLISHED["batch_size"],), generator=gen)]
        t = PUBLISHED["t_eps"] + (1 - PUBLISHED["t_eps"]) * torch.rand(len(batch), generator=gen)
        sigma = model.sde.sigma(t)[:, None]
        eps = torch.randn(batch.shape, generator=gen)
        loss = ((sigma * model(batch + sigma * eps, t) + eps) ** 2).sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema_update(list(ema.parameters()), list(model.parameters()), step)
    return ema


def pulls(estimates: list[dict], data: list[dict], exact: dict[int, complex], ns=(2, 4)) -> dict:
    """(estimate - exact) / sqrt(err^2 + err_data^2) of Re and Im <z^n>."""
    out = {}
    for n in ns:
        e, d = estimates[n - 1], data[n - 1]
        for part, value in (("re", exact[n].real), ("im", exact[n].imag)):
            err = float(np.hypot(e[f"{part}_err"], d[f"{part}_err"]))
            out[f"{part}<z^{n}>"] = dict(value=round(e[part], 6), err=round(err, 6), pull=round((e[part] - value) / err, 2))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=Training().steps, help="optimiser steps of both models")
    ap.add_argument("--samples", type=int, default=200_000, help="DM samples of each model")
    ap.add_argument("--cl", help="a quartic point's cl.npz (sigma = 1 + i, lambda = 1); else CL is run here")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.cl:
        z, _ = load_chains(a.cl)
    else:
        z = simulate(make_action(**QUARTIC), **Langevin().engine(chains=1024, samples=1000), seed=a.seed)
    cfg = Training(steps=a.steps)
    share, val = member_chains(len(z), cfg.ensemble, 0, cfg.val_fraction)
    data = moments(z[share], 4)
    exact = exact_moments(**QUARTIC, nmax=4)
    result = dict(point=QUARTIC, steps=a.steps, samples=a.samples, training_points=int(z[share].size))

    t0 = time.process_time()
    ours = train(to_xy(z[share]), to_xy(z[val]), cfg, seed=a.seed).model
    t1 = time.process_time()
    s = Sampling()
    draw = generate(ours, ours.sde, a.samples, 2, s.sampler, s.steps, seed=a.seed, batch=s.batch, **s.options())
    t2 = time.process_time()
    zo = to_complex(ours.destandardize(draw.x).double().numpy())
    if draw.ref is not None:
        est = cv_moments(zo, to_complex(ours.destandardize(draw.ref).double().numpy()), *ours.gaussian_law(draw.ref_var), 4)
    else:
        est = moments(zo, 4, iid=True)
    result["ours"] = dict(recipe=dict(training=cfg.as_dict(), sampling=s.params()), train_cpu_s=round(t1 - t0, 1),
                          sample_cpu_s=round(t2 - t1, 1), pulls=pulls(est, data, exact))

    t0 = time.process_time()
    published = train_published(to_xy(z[share]), a.steps, a.seed)
    t1 = time.process_time()
    x = generate(published, published.sde, a.samples, 2, PUBLISHED["sampler"], PUBLISHED["sampler_steps"], seed=a.seed,
                 batch=s.batch).x
    t2 = time.process_time()
    est = moments(to_complex(x.double().numpy()), 4, iid=True)
    result["published"] = dict(recipe=PUBLISHED, train_cpu_s=round(t1 - t0, 1), sample_cpu_s=round(t2 - t1, 1),
                               pulls=pulls(est, data, exact))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
