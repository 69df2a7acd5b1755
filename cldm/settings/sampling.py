"""Settings of the sampling stage."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from cldm.settings import Stage, knob
from cldm.dm.samplers import MH_SAMPLER, SAMPLERS


@dataclass(frozen=True)
class Sampling(Stage):
    description: ClassVar[str] = "reverse-time sampling of every ensemble member"
    sampler: str = knob("eipc", "; ".join(f"{k}: {s.doc}" for k, s in SAMPLERS.items()), enum=list(SAMPLERS))
    steps: int = knob(48, "solver steps (network evaluations: see the sampler)", minimum=2)
    samples: int | None = knob(None, "samples per ensemble member; null: each member's from its error budget "
                               "(error_ratio, cldm.analysis.budget)", minimum=1)
    error_ratio: float = knob(0.3, "samples null: a member's sampling error of Re and Im <z^2> at most this fraction "
                              "of its training data's CL error", exclusiveMinimum=0)
    pilot_samples: int = knob(32768, "samples null: the pilot that measures the sampling error (whole batches), "
                              "and the fewest samples", minimum=1)
    max_samples: int = knob(2000000, "samples null: the most samples per member", minimum=1)
    batch: int = knob(2048, "samples per sampler call (activations that stay in the CPU cache are faster)",
                      minimum=1)
    t_eps: float = knob(1e-5, "em, ei, eipc, pc: the last time of the reverse SDE before Tweedie denoising (>= 1e-12: "
                        "sigma(t_eps) ~ sqrt(t_eps) stays above float32's resolution)", minimum=1e-12,
                        exclusiveMaximum=1)
    power: float = knob(3.5, "ei, eipc: time grid t_i = t_eps + (1 - t_eps)(1 - i/N)^power", minimum=1)
    snr: float = knob(0.05, "pc: corrector signal-to-noise ratio (its Langevin step biases the variance by ~snr^2)",
                      exclusiveMinimum=0)
    sigma_min: float = knob(2e-3, "heun: the smallest noise level before the last step to 0", exclusiveMinimum=0)
    rho: float = knob(7.0, "heun: EDM's noise-level grid exponent", exclusiveMinimum=0)
    churn: float = knob(0.0, "heun: stochasticity S_churn (0: the probability-flow ODE)", minimum=0)
    mh_samples: int | None = knob(65536, "samples per member of a Metropolis-adjusted estimator (energy models "
                                  "sampled with mala): its members scatter by their energies' differences far "
                                  "from the data (their <z^2> error 3-31x the score model's), which an error budget "
                                  "would meet with max_samples for nothing (docs/energy.md); null: as samples",
                                  minimum=1)
    mh_t: float = knob(0.01, "mala: the diffusion time where the reverse SDE hands over to the Metropolis-adjusted "
                       "levels (sigma = 0.10 at alpha = 25); above t_eps", exclusiveMinimum=0, exclusiveMaximum=1)
    mh_t_end: float = knob(4e-4, "mala: the diffusion time of the last Metropolis-adjusted level (sigma = 0.02 at "
                           "alpha = 25), where the reverse SDE takes over down to t_eps; between t_eps and mh_t",
                           exclusiveMinimum=0, exclusiveMaximum=1)
    mh_levels: int = knob(8, "mala: Metropolis-adjusted noise levels, geometric in sigma from sigma(mh_t) to "
                          "sigma(mh_t_end) (the last)", minimum=1, maximum=1000)
    mh_steps: int = knob(4, "mala: Metropolis-adjusted Langevin steps at each level", minimum=1, maximum=1000)
    mh_step: float = knob(0.25, "mala: Langevin step h = mh_step (1 + sigma^2), in units of the level's variance "
                          "in the whitened coordinates", exclusiveMinimum=0, maximum=1)
    transfer_sites: int | None = knob(None, "chain points: also sample every member at this many sites (the size "
                                            "transfer: results/{point}/transfer.csv against exact); null: not",
                                      minimum=1)

    def options(self) -> dict:
        """The keyword options of the chosen sampler (the registry's list)."""
        return {k: getattr(self, k) for k in SAMPLERS[self.sampler].options}

    def metropolis(self) -> Sampling:
        """The settings of a Metropolis-adjusted estimator's members: the sampler mala, mh_samples
        samples each (`samples`, or its error budget, where mh_samples is null)."""
        return dataclasses.replace(self, sampler=MH_SAMPLER,
                                   samples=self.samples if self.mh_samples is None else self.mh_samples)

    def params(self) -> dict:
        """What a sampling job depends on: the common settings, the error budget's where the samples
        are not fixed, and the chosen sampler's options only (changing another sampler's option reruns
        nothing)."""
        budget = ("error_ratio", "pilot_samples", "max_samples") if self.samples is None else ()
        keys = ("sampler", "steps", "samples", "batch", *budget, *self.options())
        return {k: v for k, v in self.as_dict().items() if k in keys}

    def errors(self) -> list[tuple[str, str]]:
        if self.samples is None and self.max_samples < self.pilot():
            return [("max_samples", f"{self.max_samples} is below the pilot's {self.pilot()} samples "
                                    f"(pilot_samples in whole batches of {self.batch})")]
        return []

    def most_samples(self) -> int:
        """The most samples a member draws: `samples`, or with the error budget max_samples (in whole
        batches, at least the pilot's)."""
        if self.samples is not None:
            return self.samples
        return max(self.pilot(), self.batch * -(-self.max_samples // self.batch))

    def pilot(self) -> int:
        """The pilot's samples: pilot_samples in whole batches."""
        return self.batch * -(-self.pilot_samples // self.batch)
