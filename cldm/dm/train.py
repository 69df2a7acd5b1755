"""Denoising score matching for the VE SDE, with EMA, a cosine schedule, validation and resume."""

from __future__ import annotations

import copy
import math
import os
import sys
from typing import NamedTuple

import numpy as np
import torch
from tqdm import tqdm

from cldm import CldmError
from cldm.dm.conditioned_backprop import BlockOrder
from cldm.dm.device import resolve_device
from cldm.dm.families import FAMILIES
from cldm.dm.optim import Adam
from cldm.dm.sde import VESDE
from cldm.io import atomic_path
from cldm.settings.training import Training


def sample_t(cfg: Training, sde: VESDE, gen: torch.Generator, steps: int | None = None) -> torch.Tensor:
    """`levels` training times, one in each equal-probability stratum of ln sigma(t) ~ N(p_mean, p_std^2)
    (EDM), clipped to [sigma(t_eps), sigma(1)]; each is shared by a block of batch_size / levels samples.
    Stratifying lowers the loss's variance; sharing lets the network embed each level once (1.3x
    faster steps). With `steps`, the times of that many steps at once, shape (steps, levels)."""
    shape = (cfg.levels,) if steps is None else (steps, cfg.levels)
    q = (torch.arange(cfg.levels) + torch.rand(shape, generator=gen)) / cfg.levels
    sigma = torch.exp(cfg.p_mean + cfg.p_std * torch.special.ndtri(q))
    return sde.t_of_sigma(sigma).clamp(cfg.t_eps, 1.0)


PAIRED_BELOW = 1.0
"""Noise levels below which training.antithetic pairs a block's rows: the whitened data's scale
(variance 1), where the noise term of the loss's gradient dominates (`antithetic_pairs`)."""


def antithetic_pairs(paired: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Where a step's rows and noise come from under antithetic pairs: for blocks of `block`
    consecutive rows, one per noise level (`paired` (..., levels) bool: the blocks to pair), the
    row index (..., levels block) into the step's batch and the sign (..., levels block, 1) of its
    noise. A paired block takes its first block/2 rows u twice, with noise z and then -z
    (antithetic pairs, Hammersley & Morton 1956); the others stay as they are. The training loop
    reorders an epoch's rows by the index once and gathers each step's noise by it.

    Why: a row's loss || s s_theta(u + s z) + z ||^2 (s the noise level, `dsm_loss`) has the gradient
    2 (D + z) . dD/dtheta, D = s s_theta(u + s z); at small s, D = O(s), so the gradient is dominated
    by 2 z . dD/dtheta(u), of mean zero and variance O(1) against a signal O(s). Over a pair (z, -z)
    that term cancels, leaving O(s) (the change of dD/dtheta over 2 s z): an unbiased estimate of the
    same gradient with far less variance at small noise levels (1/75 at s = 0.02, 1/19 at 0.1, 1/5 at
    0.3, for a two-bump density's score network, tests/test_antithetic.py), where the sharp edges of
    the CL densities are learned. Above the data's scale the variance comes from the data, which
    pairs halve: 1.4x more at s = 3, hence `PAIRED_BELOW`."""
    if block % 2:
        raise CldmError(f"antithetic pairs need an even number of rows per noise level, not {block}")
    r = torch.arange(block)
    second = paired[..., None] & (r >= block // 2)  # (..., levels, block): the rows that repeat
    start = torch.arange(paired.shape[-1])[:, None] * block
    index = (start + torch.where(second, r - block // 2, r)).flatten(-2)
    sign = torch.where(second, -1.0, 1.0).flatten(-2)[..., None]
    return index, sign


def lr_factor(step: int, cfg: Training) -> float:
    """Linear warm-up, then cosine decay to zero."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    return 0.5 * (1 + math.cos(math.pi * (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)))


def _fixed_batches(data: torch.Tensor, cfg: Training, sde: VESDE, gen: torch.Generator, n: int = 4) -> list[tuple]:
    """Up to n whole validation batches with fixed t and noise, so successive losses are comparable."""
    batches = []
    for chunk in data[: min(n, len(data) // cfg.batch_size) * cfg.batch_size].split(cfg.batch_size):
        t = sample_t(cfg, sde, gen)
        batches.append((chunk, t, torch.randn(chunk.shape, generator=gen)))
    return batches


class Trained(NamedTuple):
    """A training run's EMA model, its loss log, and the step it started from (0, or where it resumed)."""

    model: torch.nn.Module
    log: list[dict]
    first_step: int


def train(
    train_x: np.ndarray,
    val_x: np.ndarray,
    cfg: Training,
    seed: int,
    resume_path: str | None = None,
    fingerprint: str = "",
    progress: bool = False,
    device: str = "cpu",
    family: str = "score",
) -> Trained:
    """Train one model of `family` (cldm.dm.families) on data rows x of shape (N, features); returns
    the EMA model and the loss log.

    Every `checkpoint_every` steps the full state (weights, EMA, optimiser, RNG, log) is saved to
    `resume_path`; a later call with the same `fingerprint` resumes from it bit for bit, and says so
    on stderr (the job's log), as it says why it ignores a checkpoint made for other settings or
    data, or one it cannot read. The file is removed once training completes. All random numbers
    are drawn on the CPU, so `device` changes the arithmetic, not the random stream.
    Raises CldmError if either set is smaller than a batch, or the loss becomes non-finite or exceeds `max_loss`.
    """
    dev = resolve_device(device)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rounding = torch.Generator().manual_seed(_stream_seed(seed, ROUNDING_STREAM))  # training.backward = bfloat16
    backward = getattr(torch, cfg.backward)
    kind = FAMILIES[family]
    x = torch.as_tensor(train_x, dtype=torch.float64)  # float32 sums over 1e6 points bias the covariance by 0.1%
    model = kind.build(cfg, x)
    u, u_val = model.standardize(x.float()), model.standardize(torch.as_tensor(val_x, dtype=torch.float32))
    if problem := cfg.data_problem(len(u), len(u_val)):
        raise CldmError(problem)
    model.to(dev)
    u = u.to(dev)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = Adam(model.parameters())
    val_batches = [tuple(a.to(dev) for a in b)
                   for b in _fixed_batches(u_val, cfg, model.sde, torch.Generator().manual_seed(seed + 1))]
    ema_update = torch.optim.swa_utils.get_ema_multi_avg_fn(cfg.ema)
    ema_params, params = list(ema.parameters()), list(model.parameters())
    log: list[dict] = []
    step, running = 0, []
    state = _load_resume(resume_path, fingerprint)
    if state is not None:
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        gen.set_state(state["gen"])
        rounding.set_state(state["rounding"])
        step, log = state["step"], state["log"]
    first_step = step
    bar = tqdm(total=cfg.steps, initial=step, desc="training steps", disable=not progress, mininterval=5)
    order = kind.order(u.cpu()) if kind.order else None
    visited = order.rows(cfg.batch_size // cfg.levels) if order else len(u)  # rows an epoch visits
    per_epoch, epoch = visited // cfg.batch_size, -1
    while step < cfg.steps:
        if step // per_epoch != epoch:
            epoch = step // per_epoch
            visit, times = _epoch_plan(len(u), cfg, model.sde, seed, epoch, order)
            if cfg.antithetic:  # each step's pairs, laid into the epoch's order
                pairs, signs = antithetic_pairs(model.sde.sigma(times) < PAIRED_BELOW, cfg.batch_size // cfg.levels)
                visit = visit[: pairs.numel()].view(pairs.shape).gather(1, pairs).view(-1)
            shuffled, times = u.index_select(0, visit.to(dev)), times.to(dev)  # 3.5x faster than u[visit]
            if kind.loss_and_grad is not None:  # gradients by hand: the levels' terms for the epoch at once
                times = kind.levels(model, times)
        j = step % per_epoch
        batch = shuffled[j * cfg.batch_size : (j + 1) * cfg.batch_size]
        noise = torch.randn(batch.shape, generator=gen)
        if cfg.antithetic:
            noise = noise.index_select(0, pairs[j]).mul_(signs[j])
        noise = noise.to(dev)
        if kind.loss_and_grad is not None:  # no autograd graph
            loss = kind.loss_and_grad(model, batch, times[j], noise, backward=backward, gen=rounding)
        else:
            opt.zero_grad()
            loss = kind.loss(model, batch, times[j], noise)
            loss.backward()
        value = loss.item()
        if not math.isfinite(value) or value > cfg.max_loss:
            raise CldmError(f"training diverged at step {step}: loss = {value:.4g} (limit {cfg.max_loss:g})")
        opt.step(cfg.lr * lr_factor(step, cfg))
        ema_update(ema_params, params, step)
        running.append(value)
        step += 1
        bar.update()
        if step % cfg.log_every == 0 or step == cfg.steps:
            with torch.no_grad():
                val = float(np.mean([kind.loss(ema, *b).item() for b in val_batches]))
            log.append(dict(step=step, train_loss=float(np.mean(running)), val_loss=val, lr=cfg.lr * lr_factor(step, cfg)))
            running = []
        if resume_path and (step % cfg.checkpoint_every == 0) and step < cfg.steps:
            _save_resume(resume_path, model, ema, opt, gen, rounding, step, log, fingerprint)
    bar.close()
    if resume_path and os.path.exists(resume_path):
        os.remove(resume_path)
    return Trained(ema.cpu(), log, first_step)


def _load_resume(path: str | None, fingerprint: str) -> dict | None:
    """The state saved at `path` if it was made for this `fingerprint`; otherwise None, with the
    reason on stderr (which a rule's job writes to its log)."""
    if not path or not os.path.exists(path):
        return None
    try:
        state = torch.load(path, weights_only=True)
    except Exception as err:  # noqa: BLE001 - an unreadable checkpoint is reported and ignored
        _say(f"checkpoint {path} rejected: unreadable ({err}); training from step 0")
        return None
    if state.get("fingerprint") != fingerprint:
        _say(f"checkpoint {path} rejected: made for other settings or data (fingerprint "
             f"{str(state.get('fingerprint'))[:12]}, this run {fingerprint[:12]}); training from step 0")
        return None
    _say(f"resumed at step {state['step']} from {path}")
    return state


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _epoch_plan(n: int, cfg: Training, sde: VESDE, seed: int, epoch: int,
                order: BlockOrder | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The rows an epoch visits, in the order it visits them (a random permutation of the n rows, or
    the family's `order` in blocks of batch_size / levels rows, one per noise level of a step), and
    the training times of its steps (`sample_t`, shape (steps, levels)): functions of (seed, epoch)
    only, so a resumed run continues the same epoch. Contiguous slices of the reordered data are
    faster than random gathers, and drawing an epoch's times at once costs less than drawing them
    step by step."""
    gen = torch.Generator().manual_seed(_stream_seed(seed, epoch))
    visit = torch.randperm(n, generator=gen) if order is None else order(cfg.batch_size // cfg.levels, gen)
    return visit, sample_t(cfg, sde, gen, steps=len(visit) // cfg.batch_size)


ROUNDING_STREAM = 1 << 32
"""The stream of the backward pass's stochastic rounding (`_stream_seed(seed, ROUNDING_STREAM)`),
apart from the epochs' streams (0, 1, ...) and the noise's (`seed`): the precision changes the
arithmetic of a training, not its data order, times or noise."""


def _stream_seed(seed: int, stream: int) -> int:
    """A generator seed for one of a training's independent random streams (numpy's SeedSequence)."""
    return int(np.random.SeedSequence([seed, stream]).generate_state(1, dtype=np.uint64)[0])


def _save_resume(path, model, ema, opt, gen, rounding, step, log, fingerprint) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(
            dict(model=_cpu(model.state_dict()), ema=_cpu(ema.state_dict()), opt=opt.state_dict(),
                 gen=gen.get_state(), rounding=rounding.get_state(), step=step, log=log, fingerprint=fingerprint),
            f,
        )


def _cpu(state: dict) -> dict:
    return {k: v.cpu() for k, v in state.items()}
