"""Settings of the sampling stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cldm.settings import Stage, knob
from cldm.dm.samplers import SAMPLERS


@dataclass(frozen=True)
class Sampling(Stage):
    description: ClassVar[str] = "reverse-time sampling of every ensemble member"
    sampler: str = knob("ei", "; ".join(f"{k}: {s.doc}" for k, s in SAMPLERS.items()), enum=list(SAMPLERS))
    steps: int = knob(100, "solver steps (network evaluations: see the sampler)", minimum=2)
    samples: int = knob(250000, "samples per ensemble member", minimum=1)
    batch: int = knob(2048, "samples per sampler call (activations that stay in the CPU cache are faster)",
                      minimum=1)
    t_eps: float = knob(1e-5, "em, ei, pc: the last time of the reverse SDE before Tweedie denoising",
                        exclusiveMinimum=0, exclusiveMaximum=1)
    power: float = knob(2.0, "ei: time grid t_i = t_eps + (1 - t_eps)(1 - i/N)^power", minimum=1)
    snr: float = knob(0.05, "pc: corrector signal-to-noise ratio (its Langevin step biases the variance by ~snr^2)",
                      exclusiveMinimum=0)
    sigma_min: float = knob(2e-3, "heun: the smallest noise level before the last step to 0", exclusiveMinimum=0)
    rho: float = knob(7.0, "heun: EDM's noise-level grid exponent", exclusiveMinimum=0)
    churn: float = knob(0.0, "heun: stochasticity S_churn (0: the probability-flow ODE)", minimum=0)
    transfer_sites: int | None = knob(None, "chain points: also sample every member at this many sites (the size "
                                            "transfer: results/{point}/transfer.csv against exact); null: not",
                                      minimum=1)

    def options(self) -> dict:
        """The keyword options of the chosen sampler (the registry's list)."""
        return {k: getattr(self, k) for k in SAMPLERS[self.sampler].options}

    def params(self) -> dict:
        """What a sampling job depends on: the common settings and the chosen sampler's options only
        (changing another sampler's option reruns nothing)."""
        return {k: v for k, v in self.as_dict().items() if k in ("sampler", "steps", "samples", "batch", *self.options())}
