"""Float32 products of the training steps by hand, by MKL (PyTorch's `addmm`) and by oneDNN
(`cldm.dm.dense`), side by side in one run; prints JSON.

Products: a hidden layer's forward product h W^T + b and the backward pass's delta W, at the rows of
a point's step (2048) and of a scan's (4096), 64 x 64 weights: microseconds each way, the speed-up,
and whether the two give the same bits. Steps: optimiser steps of the point's model (family
'score', the study's training settings) and of the scan's conditioned model (config/scan.yaml's
settings), with `cldm.dm.dense` using oneDNN and with it falling back to `addmm` everywhere
(`_ONEDNN` set to None), alternating on the same data, CPU seconds of one thread; and whether the
two give the same weights after `--check` steps. Sampling: a score model's forward pass (the
samplers' network evaluation) at 65 536 rows, each way, and whether its output is the same.

    .venv/bin/python benchmarks/dense_products.py [--steps 300] [--repeats 3] [--check 100]
"""

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import yaml

import cldm
import cldm.dm.dense as dense
from cldm.config import load_study
from cldm.dm.model import ScoreNet
from cldm.dm.sde import VESDE
from cldm.dm.train import train
from cldm.job import keep_freed_memory

ONEDNN = dense._ONEDNN


def per_call_us(f, n: int = 300) -> float:
    """Median of 3 runs of n calls, microseconds a call (process time)."""
    for _ in range(10):
        f()
    runs = []
    for _ in range(3):
        t = time.process_time()
        for _ in range(n):
            f()
        runs.append((time.process_time() - t) / n * 1e6)
    return statistics.median(runs)


def products() -> dict:
    g = torch.Generator().manual_seed(0)
    out = {}
    for rows in (2048, 4096):
        h, d = torch.randn(rows, 64, generator=g), torch.randn(rows, 64, generator=g)
        w, b = torch.randn(64, 64, generator=g), torch.randn(64, generator=g)
        for name, mkl, fast in (("forward", lambda: torch.addmm(b, h, w.T), lambda: dense.linear(h, w, b)),
                                ("delta", lambda: d @ w, lambda: dense.times(d, w))):
            t_mkl, t_fast = per_call_us(mkl), per_call_us(fast)
            out[f"{name}_{rows}"] = dict(mkl_us=t_mkl, onednn_us=t_fast, speedup=t_mkl / t_fast,
                                         same_bits=bool(torch.equal(mkl(), fast())))
    return out


def forward(rows: int = 65536) -> dict:
    """ms a forward pass of ScoreNet (the study's network, weights moved from their initialisation)
    at `rows` rows, oneDNN against addmm, alternating; and whether the outputs are the same."""
    torch.manual_seed(0)
    net = ScoreNet(VESDE(25.0), torch.zeros(2), torch.eye(2), (64, 64, 64), 128).requires_grad_(False)
    with torch.no_grad():
        for w in net.parameters():
            w.add_(0.3 * torch.randn_like(w))
        u, t = torch.randn(rows, 2), torch.tensor(0.3)
        times, out = {True: [], False: []}, {}
        for _ in range(3):
            for fast in (False, True):
                dense._ONEDNN = ONEDNN if fast else None
                times[fast].append(per_call_us(lambda: net(u, t), 20) / 1e3)
                out[fast] = net(u, t)
    dense._ONEDNN = ONEDNN
    mkl, fast = statistics.median(times[False]), statistics.median(times[True])
    return dict(rows=rows, mkl_ms=mkl, onednn_ms=fast, speedup=mkl / fast, same_bits=bool(torch.equal(out[True], out[False])))


def step_s(rows: np.ndarray, family: str, settings, steps: int, fast: bool) -> tuple[float, str]:
    """CPU seconds per optimiser step, and a hash of the trained weights."""
    dense._ONEDNN = ONEDNN if fast else None
    cfg = type(settings).from_dict({**settings.as_dict(), "steps": steps, "log_every": steps, "warmup": 10})
    t = time.process_time()
    trained = train(rows, rows[: max(4096, cfg.batch_size)], cfg, seed=0, family=family)
    seconds = (time.process_time() - t) / steps
    weights = b"".join(v.numpy().tobytes() for v in trained.model.state_dict().values() if v.dtype.is_floating_point)
    return seconds, hashlib.sha256(weights).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--check", type=int, default=100, help="steps after which the weights are compared")
    a = ap.parse_args()
    torch.set_num_threads(1)
    keep_freed_memory()  # as every rule's job (cldm.job.run)
    if ONEDNN is None:
        raise SystemExit("this PyTorch has no oneDNN inner product: cldm.dm.dense falls back to addmm")
    config = yaml.safe_load(open("config/config.yaml"))
    config.update(yaml.safe_load(open("config/scan.yaml")))
    study = load_study(config)
    spec = next(iter(study.scans.values()))
    rng = np.random.default_rng(0)
    xy = rng.standard_normal((200_000, 2))
    p = rng.choice([v.values for v in spec.role("train")], size=len(xy))
    cases = {"point": (xy, "score", next(iter(study.points.values())).training),
             "scan": (np.hstack([xy, p]), "conditioned", spec.training)}
    result = {"library": str(Path(cldm.__file__).parent), "steps": {}}  # the steps first, on a fresh heap
    for name, (rows, family, settings) in cases.items():
        times = {True: [], False: []}
        for _ in range(a.repeats):  # alternating: both see the same load
            for fast in (False, True):
                times[fast].append(step_s(rows, family, settings, a.steps, fast)[0])
        same = step_s(rows, family, settings, a.check, True)[1] == step_s(rows, family, settings, a.check, False)[1]
        mkl, fast = statistics.median(times[False]), statistics.median(times[True])
        result["steps"][name] = dict(mkl_ms=mkl * 1e3, onednn_ms=fast * 1e3, speedup=mkl / fast,
                                     same_weights_after=a.check if same else None)
    dense._ONEDNN = ONEDNN
    result.update(products=products(), forward=forward())
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
