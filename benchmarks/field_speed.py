"""Speed of a chain point's field network (cldm.dm.field_model), side by side in one run; prints JSON.

training   a training step: autograd against the gradient by hand (cldm.dm.field_backprop, backward
           products in float32 and in bfloat16), at the quartic chain's settings of
           config/chain.yaml and at 64 channels;
neighbours the periodic neighbours of a layer's input (FieldScoreNet._neighbours: padding and
           unfold) against the field rolled by each shift and concatenated (the former code);
sampling   a sampler call of the chain's sampler (48 channels, random weights): at L = 8, at 16
           sites in one call of `batch` fields and in two of batch / 2 (as many sites as at L = 8:
           what the sampling stage does at another length).

Each configuration trains `--steps` steps on the same synthetic fields (standard normal, L sites),
the configurations alternating `--repeats` times in one process with freed memory kept as in every
rule's job (cldm.job.keep_freed_memory), so that load on a shared machine hits all alike; times are
CPU seconds of the process (one thread). Reported: ms per optimiser step (median over the
repeats) and the speed-up of each by-hand configuration over autograd at the same width.

    .venv/bin/python benchmarks/field_speed.py [--steps 200] [--repeats 3] [--channels 48,64]
"""

import argparse
import dataclasses
import json
import statistics
import time

import numpy as np
import torch
import yaml

from cldm.dm.families import FAMILIES
from cldm.dm.sample import draw_batches
from cldm.dm.train import train
from cldm.job import keep_freed_memory
from cldm.settings.training import Training


def step_ms(data: np.ndarray, cfg: Training, by_hand: bool) -> float:
    kind = FAMILIES["field"]
    if not by_hand:
        FAMILIES["field"] = dataclasses.replace(kind, loss_and_grad=None, levels=None)
    try:
        t = time.process_time()
        train(data, data[: 4 * cfg.batch_size], cfg, seed=0, family="field")
        return (time.process_time() - t) / cfg.steps * 1e3
    finally:
        FAMILIES["field"] = kind


def rolled_neighbours(h: torch.Tensor, reach: int) -> torch.Tensor:
    """The former FieldScoreNet._neighbours: the field rolled by each shift, concatenated."""
    return torch.cat([torch.roll(h, -d, dims=-2) for d in range(-reach, reach + 1)], dim=-1)


def cpu_s(f, repeats: int) -> float:
    """Median CPU seconds of f() over repeats (after one call to warm up)."""
    f()
    times = []
    for _ in range(repeats):
        t = time.process_time()
        f()
        times.append(time.process_time() - t)
    return statistics.median(times)


def sampling(point: dict, repeats: int) -> dict:
    """CPU seconds of the chain's sampler calls and of the neighbours (module docstring)."""
    cfg = Training.from_dict({**point["training"], "channels": [48, 48, 48]})
    sites, s = point["L"], point["sampling"]
    model = FAMILIES["field"].build(cfg, torch.randn(4096, 2 * sites, dtype=torch.float64))
    with torch.no_grad():
        for q in model.parameters():
            q.normal_(0, 0.1)
    gen = torch.Generator().manual_seed(0)

    def draw(L, sizes):
        return lambda: draw_batches(model, model.sde, sizes, 2 * L, s["sampler"], s["steps"], gen, power=s["power"])

    b = s["batch"]
    out = {f"L{sites}_batch{b}_s": cpu_s(draw(sites, [b]), repeats),
           f"L{2 * sites}_batch{b}_s": cpu_s(draw(2 * sites, [b]), repeats),
           f"L{2 * sites}_2x_batch{b // 2}_s": cpu_s(draw(2 * sites, [b // 2, b - b // 2]), repeats)}
    for L in (sites, 2 * sites):
        h = torch.randn(b, L, 48)
        out[f"neighbours_L{L}_rolled_ms"] = 1e3 * cpu_s(lambda: rolled_neighbours(h, model.reach), 5 * repeats)
        out[f"neighbours_L{L}_unfold_ms"] = 1e3 * cpu_s(lambda: model._neighbours(h), 5 * repeats)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--channels", default="48,64")
    a = ap.parse_args()
    torch.set_num_threads(1)
    keep_freed_memory()
    point = yaml.safe_load(open("config/chain.yaml"))["points"]["chain_q"]
    base = Training.from_dict({**point["training"], "steps": a.steps, "log_every": a.steps, "warmup": 10})
    sites = point["L"]
    data = np.random.default_rng(0).standard_normal((100_000, 2 * sites))
    configs = {}
    for width in (int(c) for c in a.channels.split(",")):
        cfg = dataclasses.replace(base, channels=(width,) * len(base.channels))
        configs[f"{width}_autograd"] = (cfg, False)
        configs[f"{width}_by_hand_float32"] = (dataclasses.replace(cfg, backward="float32"), True)
        configs[f"{width}_by_hand_bfloat16"] = (dataclasses.replace(cfg, backward="bfloat16"), True)
    times = {name: [] for name in configs}
    for _ in range(a.repeats):
        for name, (cfg, by_hand) in configs.items():
            times[name].append(step_ms(data, cfg, by_hand))
    ms = {name: statistics.median(v) for name, v in times.items()}
    out = dict(batch=base.batch_size, sites=sites, steps=a.steps, repeats=a.repeats, step_ms=ms,
               speedup={name: ms[name.split("_")[0] + "_autograd"] / v for name, v in ms.items() if "by_hand" in name},
               sampling=sampling(point, a.repeats))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
