"""Complex Langevin with real noise, vectorised over independent chains.

dz = K(z) dt + dW_x,  K = -dS/dz,  <dW dW> = 2 dt (noise on the real part only).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from tqdm import tqdm

from cldm import CldmError
from cldm.physics.actions import Polynomial

INTEGRATORS = ("euler", "heun")
_NOISE_BLOCK = 256
CHAIN_GROUP = 4096


def _noise(gen: np.random.Generator, chains: int) -> Iterator[np.ndarray]:
    """Standard normals, one row of shape (chains,) per step, drawn in blocks."""
    buf = np.empty((_NOISE_BLOCK, chains))
    while True:
        gen.standard_normal(out=buf)
        yield from buf


def euler_step(action: Polynomial, z: np.ndarray, eps, xi: np.ndarray, k: np.ndarray | None = None) -> None:
    """z <- z + eps K(z) + sqrt(2 eps) xi, in place (weak order 1)."""
    k = action.drift(z) if k is None else k
    k *= eps
    z += k
    z.real += np.sqrt(2 * eps) * xi


def heun_step(action: Polynomial, z: np.ndarray, eps, xi: np.ndarray, k: np.ndarray | None = None) -> None:
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
    the last step of each chain cut so that all chains reach the same time.
    """
    if kref is None:
        for _ in range(round(duration / eps)):
            step(action, z, eps, next(noise))
        return
    remaining = np.full(z.shape, duration)
    while (remaining > 1e-12 * duration).any():
        k = action.drift(z)
        h = np.minimum(eps * np.minimum(1.0, kref / np.maximum(np.abs(k), 1e-300)), remaining)
        step(action, z, h, next(noise), k)
        remaining -= h


def simulate(
    action: Polynomial,
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
    `samples` states spaced by Langevin time `interval`. Returns shape (chains, samples).

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
    out = np.empty((chains, samples), dtype=np.complex128)
    bar = tqdm(total=chains * (n_therm + samples), desc="CL chain-intervals", disable=not progress, mininterval=5)
    with bar, np.errstate(over="ignore", invalid="ignore"):
        for lo, stream in zip(starts, streams):
            z = np.zeros(min(CHAIN_GROUP, chains - lo), dtype=np.complex128)
            noise = _noise(np.random.default_rng(stream), z.size)
            for i in range(-n_therm, samples):
                _advance(action, z, interval, eps, kref, STEPS[integrator], noise)
                bad = ~np.isfinite(z)
                if bad.any():
                    raise CldmError(
                        f"CL runaway: chain(s) {(lo + np.flatnonzero(bad)[:10]).tolist()} became "
                        f"non-finite by Langevin time t = {(i + n_therm + 1) * interval:g}; "
                        "lower the step or set an adaptive step (kref)"
                    )
                if i >= 0:
                    out[lo : lo + z.size, i] = z
                bar.update(z.size)
    return out
