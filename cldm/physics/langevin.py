"""Complex Langevin with real noise, vectorised over independent chains.

dz = K(z) dt + dW_x,  K = -dS/dz,  <dW dW> = 2 dt (noise on the real part only).

A state is one complex variable per chain (shape (chains,)) or a field per chain (shape
(chains, *action.field_shape), e.g. (chains, L) for the periodic chain), with one real noise per
site; the same code runs both.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from tqdm import tqdm

from cldm import CldmError
from cldm.physics.actions import Action

INTEGRATORS = ("euler", "heun")
_NOISE_BLOCK = 256
CHAIN_GROUP = 4096


def _noise(gen: np.random.Generator, shape: tuple[int, ...]) -> Iterator[np.ndarray]:
    """Standard normals, one array of `shape` (the state's) per step, drawn in blocks of about
    _NOISE_BLOCK x chains numbers. The generator fills the block in order, so the block length
    does not change the stream."""
    buf = np.empty((max(1, _NOISE_BLOCK * shape[0] // int(np.prod(shape))), *shape))
    while True:
        gen.standard_normal(out=buf)
        yield from buf


def euler_step(action: Action, z: np.ndarray, eps, xi: np.ndarray, k: np.ndarray | None = None) -> None:
    """z <- z + eps K(z) + sqrt(2 eps) xi, in place (weak order 1)."""
    k = action.drift(z) if k is None else k
    k *= eps
    z += k
    z.real += np.sqrt(2 * eps) * xi


def heun_step(action: Action, z: np.ndarray, eps, xi: np.ndarray, k: np.ndarray | None = None) -> None:
    """Stochastic Heun, weak order 2 for additive noise, in place.

    z~ = z + eps K(z) + eta;  z <- z + eps (K(z) + K(z~)) / 2 + eta,  eta = sqrt(2 eps) xi.
    """
    eta = np.sqrt(2 * eps) * xi
    k = action.drift(z) if k is None else k
    zt = z + eps * k
    zt.real += eta
    k += action.drift(zt)
    k *= 0.5 * eps
    z += k
    z.real += eta


STEPS = {"euler": euler_step, "heun": heun_step}


def schedule_problems(*, interval: float, therm: float, eps: float, kref: float | None) -> list[tuple[str, str]]:
    """(argument, message) for a schedule that `simulate` cannot run: a count of intervals or steps
    that is not a finite number, or, with a fixed step (kref None), an interval that is not a whole
    number of steps. Empty for a schedule it runs."""
    problems = []
    if not interval > 0 or not eps > 0:
        return [("interval" if not interval > 0 else "eps", f"interval {interval} and step {eps} must be > 0")]
    if not math.isfinite(therm / interval):
        problems.append(("therm", f"therm / interval = {therm:g} / {interval:g} is not a finite number of intervals"))
    steps = interval / eps
    if not math.isfinite(eps):
        problems.append(("eps", f"the step {eps:g} is not a finite number"))
    elif not math.isfinite(steps):
        problems.append(("eps", f"interval / step = {interval:g} / {eps:g} is not a finite number of steps"))
    elif kref is None and abs(steps - round(steps)) > 1e-9:
        problems.append(("interval", f"interval {interval} is not a multiple of the step {eps} (a fixed step: kref null)"))
    return problems


def _advance(action, z, duration, eps, kref, step, noise) -> None:
    """Integrate every chain over Langevin time `duration`.

    Fixed step eps, or (kref set) the adaptive step eps_n = eps min(1, kref/|K_n|) per chain,
    |K_n| the largest |K_x| over the sites of a field, the last step of each chain cut so that
    all chains reach the same time.
    """
    if kref is None:
        for _ in range(round(duration / eps)):
            step(action, z, eps, next(noise))
        return
    sites = tuple(range(1, z.ndim))  # () for one variable: |K| itself
    remaining = np.full((len(z),) + (1,) * len(sites), duration)
    while (remaining > 1e-12 * duration).any():
        k = action.drift(z)
        kmax = np.abs(k).max(axis=sites, keepdims=True) if sites else np.abs(k)
        h = np.minimum(eps * np.minimum(1.0, kref / np.maximum(kmax, 1e-300)), remaining)
        step(action, z, h, next(noise), k)
        remaining -= h


def simulate(
    action: Action,
    *,
    chains: int,
    samples: int,
    interval: float,
    therm: float,
    eps: float,
    integrator: str = "heun",
    kref: float | None = None,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """Run `chains` independent CL chains from z = 0; thermalise for time `therm`, then record
    `samples` states spaced by Langevin time `interval`. Returns shape (chains, samples) for one
    variable, (chains, samples, *action.field_shape) for a field.

    Chains run in groups of CHAIN_GROUP, each group on its own random stream spawned from `seed`
    (SeedSequence.spawn): adding chains adds groups and leaves the complete groups unchanged.
    Raises CldmError naming the chains that ran away (non-finite state).
    """
    if integrator not in STEPS:
        raise ValueError(f"unknown integrator {integrator!r}; choose one of {INTEGRATORS}")
    if problems := schedule_problems(interval=interval, therm=therm, eps=eps, kref=kref):
        raise ValueError("; ".join(message for _, message in problems))
    n_therm = int(np.ceil(therm / interval - 1e-9))
    starts = range(0, chains, CHAIN_GROUP)
    streams = np.random.SeedSequence(seed).spawn(len(starts))
    out = np.empty((chains, samples, *action.field_shape), dtype=np.complex128)
    bar = tqdm(total=chains * (n_therm + samples), desc="CL chain-intervals", disable=not progress, mininterval=5)
    with bar, np.errstate(over="ignore", invalid="ignore"):
        for lo, stream in zip(starts, streams):
            z = np.zeros((min(CHAIN_GROUP, chains - lo), *action.field_shape), dtype=np.complex128)
            noise = _noise(np.random.default_rng(stream), z.shape)
            for i in range(-n_therm, samples):
                _advance(action, z, interval, eps, kref, STEPS[integrator], noise)
                bad = ~np.isfinite(z).reshape(len(z), -1).all(axis=1)
                if bad.any():
                    raise CldmError(
                        f"CL runaway: chain(s) {(lo + np.flatnonzero(bad)[:10]).tolist()} became "
                        f"non-finite by Langevin time t = {(i + n_therm + 1) * interval:g}; "
                        "lower the step or set an adaptive step (kref)"
                    )
                if i >= 0:
                    out[lo : lo + len(z), i] = z
                bar.update(len(z))
    return out
