"""Reverse-time samplers for the VE SDE. Each is one function over a score s(x, t); the registry
`cldm.dm.samplers.SAMPLERS` names them, with their network evaluations and options."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import NamedTuple

import torch
from tqdm import tqdm

from cldm import CldmError
from cldm.dm.samplers import SAMPLERS
from cldm.dm.sde import VESDE
from cldm.settings.sampling import Sampling

Score = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""s(x, t): x of shape (N, d), t a 0-dim tensor (one time for the whole batch)."""

RUNAWAY = 10.0
"""A sample with a coordinate beyond RUNAWAY * sigma_max ran away: the samplers work in whitened
coordinates, where the data have unit variance and the start N(0, sigma_max^2) exceeds 10 sigma_max
with probability ~1e-23 a coordinate; only a score that pushes outwards puts a sample there."""


Noise = torch.Generator | Iterator[torch.Tensor]
"""Where a sampler's standard normals come from: the CPU generator, or a given sequence of them (one
tensor a step: a Brownian path shared by two runs, `cldm.dm.coupling`)."""


def noise_like(x: torch.Tensor, gen: Noise) -> torch.Tensor:
    """Standard normals of x's shape from the CPU generator `gen`, on x's device (the same stream on
    every device), or the next tensor of the sequence `gen`."""
    if isinstance(gen, torch.Generator):
        return torch.randn(x.shape, generator=gen).to(x.device)
    return next(gen).to(x.device)


class Draw(NamedTuple):
    """Samples x and, where the sampler provides one, a control variate: the reference path x_ref
    driven by the same noise with the score of unit Gaussian data, whose law N(0, ref_var I) is exact;
    a Metropolis-adjusted sampler's acceptance rate at each of its levels."""

    x: torch.Tensor
    ref: torch.Tensor | None = None
    ref_var: float | None = None
    acceptance: torch.Tensor | None = None


def euler_maruyama(score: Score, sde: VESDE, x: torch.Tensor, steps: int, gen: Noise, *, t_eps: float) -> Draw:
    """Reverse SDE dx = -g(t)^2 s(x, t) dt + g(t) dw on a uniform t-grid from 1 to t_eps,
    then one denoising step x + sigma(t_eps)^2 s(x, t_eps) (Tweedie). NFE = steps + 1.

    The same steps and noise move x_ref with s = -x/(1 + sigma^2): x_ref <- a x_ref + g sqrt(dt) xi,
    a = 1 - g^2 dt/(1 + sigma^2), so its variance follows v <- a^2 v + g^2 dt exactly (from sigma_max^2).
    """
    ts = torch.linspace(1.0, t_eps, steps + 1, dtype=torch.float64)
    ref, var = x.clone(), sde.sigma_max**2
    for t, t_next in zip(ts[:-1], ts[1:]):
        dt, g = float(t - t_next), float(sde.g(t))
        a = 1 - g**2 * dt / (1 + float(sde.sigma(t)) ** 2)
        noise = g * dt**0.5 * noise_like(x, gen)
        x = x + g**2 * dt * score(x, t.float()) + noise
        ref, var = a * ref + noise, a**2 * var + g**2 * dt
    s2 = float(sde.sigma(ts[-1])) ** 2
    a = 1 - s2 / (1 + s2)
    return Draw(x + s2 * score(x, ts[-1].float()), a * ref, a**2 * var)


def ei_grid(sde: VESDE, steps: int, t_eps: float, power: float,
            t_start: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Times t_i = t_eps + (t_start - t_eps)(1 - i/N)^power, i = 0..N (finer at small t, where the
    learned rest of the score varies fastest), and sigma(t_i)^2, in float64; t_start = 1: the whole
    reverse SDE."""
    ts = t_eps + (t_start - t_eps) * torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64) ** power
    return ts, sde.sigma(ts) ** 2


def ei_coefficients(s2_t: float, s2_s: float) -> tuple[float, float, float]:
    """(a, c, a D) of the step from sigma_t^2 to sigma_s^2 < sigma_t^2, D = sigma_t^2 - sigma_s^2:
    with s = -x/(1 + sigma^2) + r and r constant over the step, the reverse SDE's step is exactly
    x_s = a x_t + c r + sqrt(a D) xi, a = (1 + sigma_s^2)/(1 + sigma_t^2), c = (1 + sigma_s^2) ln(1/a)."""
    a = (1 + s2_s) / (1 + s2_t)
    return a, (1 + s2_s) * -math.log(a), a * (s2_t - s2_s)


def exponential_integrator(score: Score, sde: VESDE, x: torch.Tensor, steps: int, gen: Noise,
                           t_start: float = 1.0, denoise: bool = True, *, t_eps: float, power: float) -> Draw:
    """Reverse SDE with the score split as s = -x/(1 + sigma^2) + r: the linear part (the whole score
    of unit Gaussian data) is integrated exactly and the rest r to second order (Heun, same noise).
    From t to the next time s (`ei_coefficients`),

        x_s = a x_t + c (r(x_t, t) + r(x', s))/2 + sqrt(a D) xi,  x' = a x_t + c r(x_t, t) + sqrt(a D) xi,

    which for r = 0 is p(x_s | x_t) exactly; on the time grid `ei_grid`, then Tweedie denoising.
    NFE = 2 steps + 1. The reference path (r = 0, same noise) has variance v <- a^2 v + a D, from
    sigma_max^2.

    A segment of the reverse SDE (the Metropolis-adjusted sampler's): from t_start (x a sample of
    p_{t_start}) and, with denoise False, ending at t_eps without the Tweedie step, x then a sample
    of p_{t_eps} (no reference path: Draw(x)).
    """
    ts, s2 = ei_grid(sde, steps, t_eps, power, t_start)
    ref, var = x.clone(), sde.sigma_max**2

    def rest(x: torch.Tensor, i: int) -> torch.Tensor:
        return score(x, ts[i].float()) + x / (1 + float(s2[i]))

    for i in range(steps):
        a, c, v = ei_coefficients(float(s2[i]), float(s2[i + 1]))
        noise = v**0.5 * noise_like(x, gen)
        r = rest(x, i)
        x = a * x + c * (r + rest(a * x + c * r + noise, i + 1)) / 2 + noise
        ref, var = a * ref + noise, a**2 * var + v
    if not denoise:
        return Draw(x)
    a = 1 / (1 + float(s2[-1]))
    return Draw(x + float(s2[-1]) * score(x, ts[-1].float()), a * ref, a**2 * var)


def exponential_pc(score: Score, sde: VESDE, x: torch.Tensor, steps: int, gen: Noise,
                   *, t_eps: float, power: float) -> Draw:
    """`ei`'s reverse SDE (linear part exact, same grid, same reference path) with one network
    evaluation a step: an exponential-Euler predictor and a trapezoidal corrector whose evaluation
    is reused by the next step (PEC mode, as UniPC's corrector, Zhao et al. 2023, and SA-Solver's
    stochastic one, Xue et al. 2023). With r_i the rest evaluated at step i's predicted point,

        x'_{i+1} = a x_i + c r_i + sqrt(a D) xi,   r_{i+1} = r(x'_{i+1}, t_{i+1}),
        x_{i+1}  = a x_i + c (r_i + r_{i+1})/2 + sqrt(a D) xi,

    and r_0 = r(x_0, 1). x_{i+1} - x'_{i+1} = c (r_{i+1} - r_i)/2 = O(h^{3/2}), so reusing r_{i+1}
    moves the next step by O(h^{5/2}), of mean O(h^3): for additive noise the scheme keeps Heun's
    weak order 2 at half the evaluations. The last r also serves Tweedie's denoising
    x + sigma^2 s (a shift of sigma(t_eps)^2 |grad r| O(h^{3/2}) ~ 1e-5 of it). NFE = steps + 1.
    """
    ts, s2 = ei_grid(sde, steps, t_eps, power)
    ref, var = x.clone(), sde.sigma_max**2

    def rest(x: torch.Tensor, i: int) -> torch.Tensor:
        return score(x, ts[i].float()) + x / (1 + float(s2[i]))

    r = rest(x, 0)
    for i in range(steps):
        a, c, v = ei_coefficients(float(s2[i]), float(s2[i + 1]))
        noise = v**0.5 * noise_like(x, gen)
        linear = a * x + noise
        r_next = rest(linear + c * r, i + 1)
        x, r = linear + c * (r + r_next) / 2, r_next
        ref, var = a * ref + noise, a**2 * var + v
    a = 1 / (1 + float(s2[-1]))
    return Draw(a * x + float(s2[-1]) * r, a * ref, a**2 * var)


def predictor_corrector(
    score: Score, sde: VESDE, x: torch.Tensor, steps: int, gen: Noise, *, snr: float, t_eps: float
) -> Draw:
    """Euler-Maruyama predictor + one Langevin corrector per step, step size 2 (snr |z| / |s|)^2
    (Song et al. 2021), then Tweedie denoising. NFE = 2 steps + 1."""
    ts = torch.linspace(1.0, t_eps, steps + 1)
    for t, t_next in zip(ts[:-1], ts[1:]):
        z = noise_like(x, gen)
        s = score(x, t)
        eps = 2 * (snr * z.norm(dim=1).mean() / s.norm(dim=1).mean()) ** 2
        x = x + eps * s + (2 * eps).sqrt() * z
        dt, g = t - t_next, sde.g(t)
        x = x + g**2 * score(x, t) * dt + g * dt.sqrt() * noise_like(x, gen)
    return Draw(x + sde.sigma(ts[-1]) ** 2 * score(x, ts[-1]))


def sigma_grid(sigma_max: float, sigma_min: float, steps: int, rho: float) -> torch.Tensor:
    """EDM noise levels sigma_i = (smax^(1/rho) + i/(N-1) (smin^(1/rho) - smax^(1/rho)))^rho, then 0."""
    i = torch.arange(steps, dtype=torch.float64) / max(1, steps - 1)
    s = (sigma_max ** (1 / rho) + i * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)]).float()


def heun(
    score: Score,
    sde: VESDE,
    x: torch.Tensor,
    steps: int,
    gen: Noise,
    *,
    sigma_min: float,
    rho: float,
    churn: float,
) -> Draw:
    """EDM's second-order sampler (Karras et al. 2022, Alg. 2) for dx/dsigma = -sigma s(x, sigma).

    churn = 0 solves the probability-flow ODE; churn > 0 adds noise sigma -> sigma (1 + gamma),
    gamma = min(churn/steps, sqrt 2 - 1), before each step. The last step goes to sigma = 0
    with Euler, which is Tweedie denoising. NFE = 2 steps - 1.
    """
    sigmas = sigma_grid(sde.sigma_max, sigma_min, steps, rho)
    gamma = min(churn / steps, 2**0.5 - 1)

    def slope(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return -sigma * score(x, sde.t_of_sigma(sigma))

    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        if gamma > 0:
            s_hat = s * (1 + gamma)
            x = x + (s_hat**2 - s**2).sqrt() * noise_like(x, gen)
            s = s_hat
        d = slope(x, s)
        x_next = x + (s_next - s) * d
        if s_next > 0:
            x_next = x + (s_next - s) * (d + slope(x_next, s_next)) / 2
        x = x_next
    return Draw(x)


def mh_sigmas(sde: VESDE, mh_t_end: float, mh_t: float, levels: int) -> torch.Tensor:
    """The Metropolis-adjusted levels sigma_j = sigma(mh_t) (sigma(mh_t_end) / sigma(mh_t))^(j / levels),
    j = 1..levels (float64): geometric, the last at sigma(mh_t_end)."""
    hi, lo = sde.sigma_of(mh_t), sde.sigma_of(mh_t_end)
    return hi * (lo / hi) ** (torch.arange(1, levels + 1, dtype=torch.float64) / levels)


def tail_steps(steps: int) -> int:
    """Reverse-SDE steps of the Metropolis-adjusted sampler below its last level: steps / 10, at least 2."""
    return max(2, -(-steps // 10))


def metropolis_accept(log_ratio: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Which proposals to accept: ln U < ln ratio, U uniform on [0, 1) from the CPU generator."""
    return torch.log(torch.rand(len(log_ratio), generator=gen, dtype=torch.float64)).to(log_ratio.device) < log_ratio


def metropolis_langevin(model, sde: VESDE, x: torch.Tensor, steps: int, gen: torch.Generator, *, t_eps: float,
                        power: float, mh_t: float, mh_t_end: float, mh_levels: int, mh_steps: int,
                        mh_step: float) -> Draw:
    """Annealed Langevin dynamics with a Metropolis-Hastings correction at every step (MALA: Roberts &
    Tweedie 1996; annealed over noise levels: Song & Ermon 2019), for a model with an energy
    (`model.energy_and_score(u, t)` = (E, -grad E)).

    The reverse SDE (`exponential_integrator`, `steps` steps, time-grid `power`, no denoising) from
    t = 1 down to mh_t gives the start, a sample of p_{mh_t}; then at each level sigma_j of
    `mh_sigmas` (mh_levels of them, geometric from sigma(mh_t) down to sigma(mh_t_end)), mh_steps
    steps targeting p_j ~ exp(-E(u, t_j)): the proposal

        u' = u - h grad E(u) + sqrt(2h) xi,   h = mh_step (1 + sigma_j^2),

    (the step in units of the level's variance, 1 + sigma_j^2 for whitened data) is accepted with
    probability min(1, exp(E(u) - E(u')) q(u | u') / q(u' | u)), log q(u' | u) = -|u' - u + h grad E(u)|^2
    / (4h), so each level's stationary law is exactly the model's exp(-E(., t_j))/Z whatever h. Then
    the reverse SDE from mh_t_end down to t_eps (`tail_steps(steps)` steps) and Tweedie denoising,
    as the plain sampler ends.

    Why the levels stop at mh_t_end (sigma = 0.02 by default) and not at t_eps: the steps h move the
    samples across the whole distribution at every level, so MALA samples the model's exp(-E(., t))
    globally, and a trained network's energy is accurate only at noise levels the training draws
    (ln sigma ~ N(p_mean, p_std^2)). Measured on a Gaussian energy model of config/energy.yaml:
    MALA ending at sigma = 0.05 or 0.02 gives Re <z^2> = 0.504(10), 0.501(10) (exact 0.5), at
    sigma = 0.0032 (t_eps) 0.361(8) (docs/energy.md). The reverse SDE moves samples only by about
    sigma below mh_t_end, where the energy's errors hardly matter to it. Draw.acceptance holds the
    acceptance rate of each level. Network evaluations: 2 steps, mh_levels (mh_steps + 1) of E with
    its gradient, 2 tail_steps(steps) + 1.
    """
    if not t_eps < mh_t_end < mh_t:
        raise CldmError(f"mala: needs t_eps < mh_t_end < mh_t, got t_eps = {t_eps:g}, mh_t_end = {mh_t_end:g}, "
                        f"mh_t = {mh_t:g} (the levels run from sigma(mh_t) down to sigma(mh_t_end))")
    x = exponential_integrator(model, sde, x, steps, gen, t_eps=mh_t, power=power, denoise=False).x
    sigmas = mh_sigmas(sde, mh_t_end, mh_t, mh_levels)
    acceptance = []
    for sigma, t in zip(sigmas, sde.t_of_sigma(sigmas)):
        h = mh_step * (1 + float(sigma) ** 2)
        t = t.float()
        energy, score = model.energy_and_score(x, t)
        accepted = torch.zeros((), dtype=torch.float64)
        for _ in range(mh_steps):
            xi = noise_like(x, gen)
            proposal = x + h * score + (2 * h) ** 0.5 * xi
            energy_p, score_p = model.energy_and_score(proposal, t)
            log_back = -((x - proposal - h * score_p) ** 2).sum(dim=1) / (4 * h)  # q(u | u')
            log_ratio = energy - energy_p + log_back + (xi**2).sum(dim=1) / 2  # - log q(u' | u)
            accept = metropolis_accept(log_ratio, gen)
            x = torch.where(accept[:, None], proposal, x)
            energy, score = torch.where(accept, energy_p, energy), torch.where(accept[:, None], score_p, score)
            accepted += accept.sum().cpu()
        acceptance.append(accepted / (len(x) * mh_steps))
    x = exponential_integrator(model, sde, x, tail_steps(steps), gen, t_eps=t_eps, power=power, t_start=mh_t_end).x
    return Draw(x, acceptance=torch.stack(acceptance))


def batch_sizes(n: int, batch: int) -> list[int]:
    """n as whole batches and a rest."""
    return [batch] * (n // batch) + ([n % batch] if n % batch else [])


def draw_batches(score: Score, sde: VESDE, sizes: list[int], dim: int, sampler: str, steps: int, gen: torch.Generator,
                 progress: bool = False, device: str | torch.device = "cpu", **opts) -> Draw:
    """Batches of the given sizes from N(0, sigma_max^2) pushed through `sampler` (a name of the
    registry; options not given take the defaults of the Sampling settings), without gradients, on
    `device`, all from the CPU generator `gen`: a second call continues the stream.

    Batches of a few thousand keep the network's activations in cache (2x faster than 65536).
    Raises CldmError if the sampler produces non-finite values, or runaways: samples with a
    coordinate beyond RUNAWAY * sigma_max (finite, but where no data and no start can be).
    """
    solve = SAMPLERS[sampler].load()
    opts = {**Sampling(sampler=sampler).options(), **opts}
    draws = []
    with torch.no_grad():
        for size in tqdm(sizes, desc="sample batches", disable=not progress, mininterval=5):
            x0 = sde.sigma_max * torch.randn(size, dim, generator=gen).to(device)
            draw = solve(score, sde, x0, steps, gen, **opts)
            bad = int((~torch.isfinite(draw.x)).any(dim=1).sum())
            if bad:
                raise CldmError(f"sampler '{sampler}' produced {bad} non-finite samples of {size}")
            far = int((draw.x.abs() > RUNAWAY * sde.sigma_max).any(dim=1).sum())
            if far:
                raise CldmError(
                    f"sampler '{sampler}' produced {far} runaway samples of {size} (a whitened coordinate beyond "
                    f"{RUNAWAY:g} sigma_max = {RUNAWAY * sde.sigma_max:.4g}, largest {float(draw.x.abs().max()):.3g}): "
                    "the model's score pushes samples outwards; train it longer or at other noise levels "
                    "(training.p_mean, p_std)"
                )
            draws.append(draw)
    return concat(draws)


def concat(draws: list[Draw]) -> Draw:
    """One Draw of the samples (and reference samples) of several, on the CPU."""
    ref = torch.cat([d.ref for d in draws]).cpu() if draws[0].ref is not None else None
    acceptance = None
    if draws[0].acceptance is not None:  # the rate over all batches, each weighted by its samples
        acceptance = sum(d.acceptance * len(d.x) for d in draws) / sum(len(d.x) for d in draws)
    return Draw(torch.cat([d.x for d in draws]).cpu(), ref, draws[0].ref_var, acceptance)


def generate(score: Score, sde: VESDE, n: int, dim: int, sampler: str, steps: int, seed: int, batch: int = 8192,
             progress: bool = False, device: str | torch.device = "cpu", **opts) -> Draw:
    """n samples of `sampler` in batches (`draw_batches`) from the random stream `seed`."""
    return draw_batches(score, sde, batch_sizes(n, batch), dim, sampler, steps, torch.Generator().manual_seed(seed),
                        progress, device, **opts)
