"""Training throughput of the score-model loop: today's loop against the loop of main when issue 18
was filed (its code, checked out from git), and the steps between them, side by side in one run;
prints JSON.

Configurations (each the `train` function of a version of cldm on the same data, with its settings'
logging and validation):
    before     the loop and defaults of main at FORMER (1024 x 20000 steps, autograd, torch.optim.Adam
               (fused), times drawn step by step), its own code: `git archive FORMER cldm` into a
               temporary directory, run from there
    batch      today's loop at today's settings (2048 x 10000: the same 2e7 samples), autograd, torch's Adam
    by_hand    as batch, the gradient by hand (cldm.dm.backprop)
    float32    as by_hand, with cldm's Adam (training.backward = float32)
    now        as float32, the backward pass's products in bfloat16: what the study runs
    wide       4096 x 5000 (lr 2e-3, EMA 0.998), as now: faster, but its models' tails were worse
               at a held-out point (docs/accuracy.md)
    antithetic as now, with training.antithetic (pairs at the noise levels below sigma = 1): what
               the pairs cost a step
and, for the per-step overhead that larger batches share, today's loop at batch 1024 ... 8192.

Each block of steps runs in a process of its own (a fresh heap and caches for each: measured
alone, in a process that has not freed large arrays, a step page-faults its activations in anew),
the configurations alternating, so that load on a shared machine hits all alike; times are CPU
seconds of that process (one thread), so other jobs on the machine inflate them less than wall time.
Reported per configuration: ms per optimiser step, training samples per second, and the projected
time of one ensemble member (its steps at that rate); the ratio of member times is the speed-up at
the same network. Not counted: the 1.5 s import of torch._dynamo that constructing torch's Adam costs
each training job (once a process). Whether they give the same result is a question for the study
(docs/accuracy.md), not for this benchmark.

With --compile: an autograd step with torch.compile (compile time and step time; LeakyReLU's
compiled CPU kernels store a boolean mask per element and are slow).

    .venv/bin/python benchmarks/train_speed.py [--steps 400] [--repeats 3] [--configs now,wide] [--compile]
"""

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

FORMER = "c1945d3"
"""main when issue 18 was filed (the library grouped by stage): the loop it measured."""
WIDE = dict(steps=5000, batch_size=4096, lr=2e-3, warmup=125, ema=0.998)
F32 = dict(backward="float32")
CONFIGS = {"before": (None, False, False), "batch": (F32, False, False), "by_hand": (F32, True, False),
           "float32": (F32, True, True), "now": ({}, True, True), "wide": (WIDE, True, True),
           "antithetic": (dict(antithetic=True), True, True)}
"""name: (settings, gradient by hand, cldm's Adam); "before" runs FORMER's code with its own defaults
(each block reports the settings it ran, so the table reads FORMER's from FORMER's code)."""
BATCHES = (1024, 2048, 4096, 8192)
ROOT = Path(__file__).resolve().parents[1]


class TorchAdam:
    """The former loop's optimiser, torch.optim.Adam(fused=True), behind cldm.dm.optim.Adam's interface."""

    def __init__(self, params):
        self.opt = torch.optim.Adam(list(params), lr=1e-3, fused=True)

    def step(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.opt.step()

    def zero_grad(self) -> None:
        self.opt.zero_grad(set_to_none=True)

    def state_dict(self) -> dict:
        return self.opt.state_dict()


def step_ms(train, cfg, data: np.ndarray, steps: int, **kw) -> float:
    """CPU ms per step of `train` with cfg (its own log_every: validation counts), from two runs of
    different length (setup cancels)."""
    times = []
    for n in (steps // 4, steps + steps // 4):
        c = dataclasses.replace(cfg, steps=n, warmup=min(cfg.warmup, n // 2))
        t = time.process_time()
        train(data, data[:20_000], c, seed=0, **kw)
        times.append(time.process_time() - t)
    return (times[1] - times[0]) / steps * 1e3


def former_tree(tmp: str) -> str:
    """FORMER's cldm package in tmp (from git), for PYTHONPATH."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", FORMER, "cldm"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
    return tmp


def block(name: str, steps: int) -> dict:
    """One configuration's ms per step (a name of CONFIGS, or batch<b>: today's loop at batch b), in
    this (fresh) process, with the settings it ran; "before" with FORMER's cldm first on the path
    (the caller's PYTHONPATH)."""
    from cldm.dm.train import train
    from cldm.settings.training import Training

    data = np.random.default_rng(0).standard_normal((400_000, 2))
    if name == "before":
        assert "site-packages" not in train.__code__.co_filename and str(ROOT) not in train.__code__.co_filename, train
        cfg, kw = Training(), {}  # FORMER's train and defaults
    else:
        from cldm.dm import train as train_module
        from cldm.dm.families import FAMILIES

        if name in CONFIGS:
            settings, by_hand, own_adam = CONFIGS[name]
        else:
            settings, by_hand, own_adam = dict(batch_size=int(name.removeprefix("batch"))), True, True
        family = "score"
        if not by_hand:
            family = "score_autograd"
            FAMILIES[family] = dataclasses.replace(FAMILIES["score"], loss_and_grad=None)
        if not own_adam:
            train_module.Adam = TorchAdam
        cfg, kw = Training(**settings), dict(family=family)
    step_ms(train, cfg, data, 40, **kw)  # warm-up: first calls pay for allocations and lazy imports
    return dict(batch_size=cfg.batch_size, steps=cfg.steps, lr=cfg.lr, ema=cfg.ema, ms=step_ms(train, cfg, data, steps, **kw))


def compiled_step(batch: int, reps: int = 200) -> dict:
    """One autograd step at `batch` with torch.compile's loss, then Adam: first-call and step times."""
    from cldm.dm.families import FAMILIES
    from cldm.dm.optim import Adam
    from cldm.dm.train import sample_t
    from cldm.settings.training import Training
    from cldm.dm.model import ScoreNet
    from cldm.dm.sde import VESDE

    model = ScoreNet(VESDE(25.0), torch.zeros(2), torch.eye(2))
    opt = Adam(model.parameters())
    gen = torch.Generator().manual_seed(0)
    u, t, z = torch.randn(batch, 2, generator=gen), sample_t(Training(batch_size=batch), model.sde, gen), torch.randn(batch, 2, generator=gen)
    loss_fn = torch.compile(FAMILIES["score"].loss)
    wall, cpu = time.perf_counter(), time.process_time()

    def step():
        opt.zero_grad()
        loss_fn(model, u, t, z).backward()
        opt.step(1e-3)

    step()
    first = dict(first_step_wall_s=round(time.perf_counter() - wall, 1), first_step_cpu_s=round(time.process_time() - cpu, 1))
    cpu = time.process_time()
    for _ in range(reps):
        step()
    ms = (time.process_time() - cpu) / reps * 1e3
    return dict(ms_per_step=round(ms, 3), us_per_sample=round(ms / batch * 1e3, 3), **first)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=400, help="timed steps per block")
    ap.add_argument("--repeats", type=int, default=3, help="alternating blocks per configuration")
    ap.add_argument("--configs", default=",".join([*CONFIGS, *(f"batch{b}" for b in BATCHES)]),
                    help="comma-separated blocks to run (always with before), e.g. now for the pair alone")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--block", help=argparse.SUPPRESS)  # one block, in a child process
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.block:
        print(json.dumps(block(a.block, a.steps)))
        return
    names = ["before", *(n for n in a.configs.split(",") if n != "before")]
    ms, ran = {k: [] for k in names}, {}
    with tempfile.TemporaryDirectory() as tmp:
        path = {"before": former_tree(tmp)}
        for _ in range(a.repeats):
            for name in names:
                env = dict(os.environ, PYTHONPATH=os.pathsep.join([path.get(name, str(ROOT)), os.environ.get("PYTHONPATH", "")]))
                run = subprocess.run([sys.executable, __file__, "--block", name, "--steps", str(a.steps)],
                                     capture_output=True, text=True, check=True, env=env)
                ran[name] = json.loads(run.stdout)
                ms[name].append(ran[name].pop("ms"))
    out = {"before_code": FORMER}
    for name, (_, by_hand, own_adam) in CONFIGS.items():
        if name not in ms:
            continue
        cfg, m = ran[name], statistics.median(ms[name])
        out[name] = dict(**cfg, gradient_by_hand=by_hand, cldm_adam=own_adam, ms_per_step=round(m, 3),
                         ms_per_step_blocks=[round(x, 3) for x in ms[name]],
                         samples_per_second=round(cfg["batch_size"] / m * 1e3), member_cpu_s=round(cfg["steps"] * m / 1e3, 1))
    steps = {name: cfg["steps"] for name, cfg in ran.items()}
    for name in [n for n in CONFIGS if n in ms and n != "before"]:
        out[f"speedup_member_{name}"] = round(out["before"]["member_cpu_s"] / out[name]["member_cpu_s"], 2)
        # noise on a shared machine only adds time: the fastest blocks bound the speed-up from the other side
        out[f"speedup_member_{name}_fastest_blocks"] = round(
            min(ms["before"]) * steps["before"] / (min(ms[name]) * steps[name]), 2)
        # each round's blocks ran one after the other: the median of the rounds' ratios follows the
        # machine's load less than the ratio of medians does
        out[f"speedup_member_{name}_rounds"] = [round(b * steps["before"] / (x * steps[name]), 2)
                                                for b, x in zip(ms["before"], ms[name])]
        out[f"speedup_member_{name}_median_of_rounds"] = round(statistics.median(out[f"speedup_member_{name}_rounds"]), 2)
    if "now" in ms:
        out["speedup_samples_per_second"] = round(out["now"]["samples_per_second"] / out["before"]["samples_per_second"], 2)
    out["today_by_batch"] = {b: dict(ms_per_step=round(statistics.median(ms[f"batch{b}"]), 3),
                                     us_per_sample=round(statistics.median(ms[f"batch{b}"]) / b * 1e3, 3))
                             for b in BATCHES if f"batch{b}" in ms}
    if a.compile:
        out["compiled_autograd_step_1024"] = compiled_step(1024)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
