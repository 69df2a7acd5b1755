"""Training throughput of the score-model loop, today's defaults against the defaults before issue 18,
side by side in one run; prints JSON.

Both configurations run the same `cldm.dm.train.train` on the same data, alternating in blocks so that
load on a shared machine hits both alike; times are CPU seconds of this process (one thread), so
other jobs on the machine inflate them less than wall time. Reported per configuration: ms per
optimiser step, training samples per second, and the projected time of one ensemble member (its
steps at that rate); the ratio of the member times is the speed-up at the same network. Whether the
two give the same result is a question for the study (docs/accuracy.md), not for this benchmark.

Also: the cost of one forward + backward + Adam step against the batch size (the per-step overhead
that larger batches amortise), and, with --compile, the same step with torch.compile (compile time
and step time; LeakyReLU's compiled CPU kernels store a boolean mask per element and are slow).

    .venv/bin/python benchmarks/train_speed.py [--steps 400] [--repeats 3] [--compile]
"""

import argparse
import dataclasses
import json
import statistics
import time

import numpy as np
import torch

from cldm.dm.model import ScoreNet
from cldm.dm.sde import VESDE
from cldm.dm.families import dsm_loss
from cldm.dm.train import sample_t, train
from cldm.settings.training import Training

BEFORE = dict(steps=20000, batch_size=1024, lr=1e-3, warmup=500, ema=0.9995)  # the defaults before issue 18


def step_ms(cfg: Training, data: np.ndarray, steps: int) -> float:
    """CPU ms per step of `train` with cfg, from two runs of different length (setup cancels)."""
    times = []
    for n in (steps // 4, steps + steps // 4):
        c = dataclasses.replace(cfg, steps=n, log_every=max(1, n // 4), warmup=min(cfg.warmup, n // 2))
        t = time.process_time()
        train(data, data[:20_000], c, seed=0)
        times.append(time.process_time() - t)
    return (times[1] - times[0]) / steps * 1e3


def fwd_bwd_adam_ms(batch: int, compiled: bool = False, reps: int = 200) -> dict:
    model = ScoreNet(VESDE(25.0), torch.zeros(2), torch.eye(2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    cfg = Training(batch_size=batch)
    gen = torch.Generator().manual_seed(0)
    u, t, z = torch.randn(batch, 2, generator=gen), sample_t(cfg, model.sde, gen), torch.randn(batch, 2, generator=gen)
    loss_fn = torch.compile(dsm_loss) if compiled else dsm_loss
    wall, cpu = time.perf_counter(), time.process_time()

    def step():
        loss = loss_fn(model, u, t, z)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()
    first = dict(first_step_wall_s=round(time.perf_counter() - wall, 1), first_step_cpu_s=round(time.process_time() - cpu, 1))
    cpu = time.process_time()
    for _ in range(reps):
        step()
    ms = (time.process_time() - cpu) / reps * 1e3
    return dict(ms_per_step=round(ms, 3), us_per_sample=round(ms / batch * 1e3, 3), **(first if compiled else {}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=400, help="timed steps per block")
    ap.add_argument("--repeats", type=int, default=3, help="alternating blocks per configuration")
    ap.add_argument("--compile", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    data = np.random.default_rng(0).standard_normal((400_000, 2))
    configs = {"before": Training(**BEFORE), "now": Training()}
    for cfg in configs.values():  # warm-up: first calls pay for allocations and lazy imports
        step_ms(cfg, data, 40)
    ms = {k: [] for k in configs}
    for _ in range(a.repeats):
        for name, cfg in configs.items():
            ms[name].append(step_ms(cfg, data, a.steps))
    out = {}
    for name, cfg in configs.items():
        m = statistics.median(ms[name])
        out[name] = dict(batch_size=cfg.batch_size, steps=cfg.steps, lr=cfg.lr, ema=cfg.ema,
                         ms_per_step=round(m, 3), ms_per_step_blocks=[round(x, 3) for x in ms[name]],
                         samples_per_second=round(cfg.batch_size / m * 1e3),
                         member_cpu_s=round(cfg.steps * m / 1e3, 1))
    out["speedup_member"] = round(out["before"]["member_cpu_s"] / out["now"]["member_cpu_s"], 2)
    # noise on a shared machine only adds time: the fastest blocks bound the speed-up from the other side
    out["speedup_member_fastest_blocks"] = round(
        min(ms["before"]) * configs["before"].steps / (min(ms["now"]) * configs["now"].steps), 2)
    out["speedup_samples_per_second"] = round(out["now"]["samples_per_second"] / out["before"]["samples_per_second"], 2)
    out["fwd_bwd_adam_by_batch"] = {b: fwd_bwd_adam_ms(b) for b in (1024, 2048, 4096, 8192)}
    if a.compile:
        out["compiled_fwd_bwd_adam_1024"] = fwd_bwd_adam_ms(1024, compiled=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
