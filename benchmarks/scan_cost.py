"""Training cost of a scan's conditioned ensemble against per-point ensembles at its training
values; prints JSON.

Times optimiser steps of the per-point score model (family 'score', rows (x, y)) and of the
conditioned model (family 'conditioned', rows (x, y, p)), side by side in one run, alternating, on
the same synthetic data and the scan's training settings, and gives the ratio of the whole costs:

    cost(cDM) / cost(per point) = (K steps_cond t_cond) / (n_train K steps_point t_point)

with the scan's ensemble K, steps and number of training values (a scan of config/scan.yaml by
default) and the per-point steps of the study's training settings. `cost_ratio` is that of the
median step times; `cost_ratio_of_repeats` the smallest and largest of each repeat's pair of blocks
(the machine's spread: the ratio has moved between 0.95 and 1.06 from run to run on this host).

    .venv/bin/python benchmarks/scan_cost.py [--steps 400] [--repeats 3] [--config config/scan.yaml] [--scan bscan]

`library` in the output names the cldm that ran: from a second git worktree that shares main's .venv,
the editable install imports main's unless PYTHONPATH names the worktree.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import yaml

import cldm
from cldm.config import load_study
from cldm.dm.train import train
from cldm.job import keep_freed_memory


def step_time(rows: np.ndarray, family: str, settings, steps: int) -> float:
    """CPU seconds per optimiser step (process time, one thread)."""
    cfg = type(settings).from_dict({**settings.as_dict(), "steps": steps, "log_every": steps, "warmup": 10})
    t = time.process_time()
    train(rows, rows[: max(4096, cfg.batch_size)], cfg, seed=0, family=family)
    return (time.process_time() - t) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--config", default="config/scan.yaml")
    ap.add_argument("--scan", default="bscan")
    a = ap.parse_args()
    torch.set_num_threads(1)
    keep_freed_memory()  # as every rule's job (cldm.job.run)
    config = yaml.safe_load(open("config/config.yaml"))
    config.update(yaml.safe_load(open(a.config)))
    study = load_study(config)
    spec = study.scans[a.scan]
    point = next(iter(study.points.values())).training  # the study's per-point training settings
    rng = np.random.default_rng(0)
    xy = rng.standard_normal((200_000, 2))
    p = rng.choice([v.values for v in spec.role("train")], size=len(xy))
    t_point, t_cond = [], []
    for _ in range(a.repeats):  # alternating: both see the same load
        t_point.append(step_time(xy, "score", point, a.steps))
        t_cond.append(step_time(np.hstack([xy, p]), "conditioned", spec.training, a.steps))
    n_train, k = len(spec.role("train")), spec.training.ensemble
    tp, tc = float(np.median(t_point)), float(np.median(t_cond))
    scale = (k * spec.training.steps) / (n_train * point.ensemble * point.steps)
    pairs = [scale * c / q for q, c in zip(t_point, t_cond)]  # each repeat's two blocks, run back to back
    print(json.dumps(dict(
        library=str(Path(cldm.__file__).parent),  # which cldm ran: a second worktree imports main's through the editable install
        per_point_step_s=tp, conditioned_step_s=tc, step_ratio=tc / tp,
        training_values=n_train, ensemble=k, conditioned_steps=spec.training.steps, per_point_steps=point.steps,
        per_point_ensemble=point.ensemble,
        cost_ratio=scale * tc / tp, cost_ratio_of_repeats=[min(pairs), max(pairs)],
    ), indent=2))


if __name__ == "__main__":
    main()
