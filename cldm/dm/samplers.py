"""The registry of reverse-time samplers: name -> function, network evaluations, options.

The one list that the config schema, the library (`cldm.dm.sample.generate`) and the rule scripts
read. It is plain data so that validating a config does not import torch; each function is named
by its import path and loaded on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SamplerSpec:
    """A sampler: `function` (module:name), NFE per sample = nfe_per_step * steps + nfe_extra,
    the Sampling settings it takes as keyword options, whether it returns the Gaussian
    reference path used as a control variate, and whether its steps are exact steps of the linear
    part on `ei_grid` with one standard normal each, so that a run can share its Brownian path with a
    finer `ei` run (`cldm.dm.coupling`)."""

    function: str
    doc: str
    nfe_per_step: int
    nfe_extra: int
    options: tuple[str, ...]
    control_variate: bool = False
    ei_steps: bool = False

    def nfe(self, steps: int) -> int:
        return self.nfe_per_step * steps + self.nfe_extra

    def load(self) -> Callable:
        module, name = self.function.split(":")
        return getattr(importlib.import_module(module), name)


SAMPLERS: dict[str, SamplerSpec] = {
    "em": SamplerSpec("cldm.dm.sample:euler_maruyama", "reverse SDE, Euler-Maruyama on a uniform time grid",
                      1, 1, ("t_eps",), control_variate=True),
    "ei": SamplerSpec("cldm.dm.sample:exponential_integrator",
                      "reverse SDE, exponential integrator (Gaussian part exact, the rest by Heun)",
                      2, 1, ("t_eps", "power"), control_variate=True, ei_steps=True),
    "eipc": SamplerSpec("cldm.dm.sample:exponential_pc",
                        "reverse SDE, ei's exponential integrator with one network evaluation a step "
                        "(predictor-corrector reusing it)", 1, 1, ("t_eps", "power"), control_variate=True,
                        ei_steps=True),
    "pc": SamplerSpec("cldm.dm.sample:predictor_corrector", "Euler-Maruyama predictor + Langevin corrector",
                      2, 1, ("t_eps", "snr")),
    "heun": SamplerSpec("cldm.dm.sample:heun", "EDM's Heun sampler: probability-flow ODE (churn 0) or stochastic",
                        2, -1, ("sigma_min", "rho", "churn")),
}


def nfe(sampler: str, steps: int) -> int:
    """Network evaluations per sample."""
    return SAMPLERS[sampler].nfe(steps)
