"""Settings of the langevin stage."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from cldm.settings import Stage, knob
from cldm.physics.boundary import DISTANCES
from cldm.physics.langevin import INTEGRATORS, schedule_problems


@dataclass(frozen=True)
class Langevin(Stage):
    description: ClassVar[str] = "complex Langevin: integrator, step, chains, diagnostics"
    integrator: str = knob("heun", "euler (weak order 1) or heun (weak order 2: O(eps^2) bias)", enum=list(INTEGRATORS))
    step: float = knob(0.005, "Langevin step epsilon (the largest step if adaptive)", exclusiveMinimum=0)
    kref: float | None = knob(20.0, "adaptive step eps min(1, kref/|K|) per chain; null for a fixed step",
                              exclusiveMinimum=0)
    chains: int = knob(4096, "independent chains", minimum=1)
    samples: int = knob(2500, "samples recorded per chain", minimum=1)
    interval: float = knob(0.1, "Langevin time between samples", exclusiveMinimum=0)
    therm: float = knob(10.0, "thermalisation time before the first sample", minimum=0)
    step_scan: tuple[float, ...] = knob((2.0, 4.0), "diagnostics: <z^2> rerun at step x each factor",
                                        items={"exclusiveMinimum": 1})
    scan_chains: int = knob(1024, "chains of each step-scan run at step x a factor (at the step itself: the run's own chains)",
                            minimum=1)
    boundary_powers: tuple[int, ...] = knob((2, 4), "diagnostics: boundary terms B_O(Y) = <(L O) Theta(Y - d(z))> "
                                            "of O = z^n for each n", items={"minimum": 1}, minItems=1)
    boundary_distance: str = knob("abs", "diagnostics: d(z) of the boundary-term cut-off, "
                                  + ", ".join(f"{k} = {v}" for k, v in DISTANCES.items()), enum=list(DISTANCES))
    boundary_per_decade: int = knob(4, "diagnostics: cut-offs Y per decade of the tail fraction P(d > Y), "
                                    "from 10^(-1/n) down to 1/samples, then Y = infinity", minimum=1)
    diagnostic_z: float = knob(3.0, "diagnostics: significance (in errors) at which cut-offs disagree, a plateau "
                               "is nonzero and a fit to the drift tail is rejected (KS)", exclusiveMinimum=0)
    drift_tail_fraction: float = knob(1e-3, "diagnostics: fraction of the largest |K| whose decay is fitted "
                                      "(at least 50 samples)", exclusiveMinimum=0, exclusiveMaximum=1)

    def errors(self) -> list[tuple[str, str]]:
        """langevin: therm / interval and interval / step are finite, and with a fixed step (kref null)
        interval is a whole number of steps; for the run and for every step-scan run (step x each
        factor of step_scan).

        The schedules that `simulate` cannot run (`schedule_problems`)."""
        problems = []
        for factor in (1.0, *self.step_scan):
            for arg, message in schedule_problems(interval=self.interval, therm=self.therm, eps=self.step * factor,
                                                  kref=self.kref):
                if factor != 1.0 and arg == "therm":  # the same for every run
                    continue
                key = {"eps": "step", "interval": "interval", "therm": "therm"}[arg] if factor == 1.0 else "step_scan"
                problems.append((key, message if factor == 1.0 else f"{message}, in the step-scan run at step x {factor:g}"))
        return list(dict.fromkeys(problems))

    def engine(self, **changes) -> dict:
        """Keyword arguments of cldm.physics.langevin.simulate (with `changes`, e.g. chains=..., or the
        step of a step-scan run: simulate checks them, not the section's rules)."""
        s = {**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}, **changes}
        return dict(chains=s["chains"], samples=s["samples"], interval=s["interval"], therm=s["therm"], eps=s["step"],
                    integrator=s["integrator"], kref=s["kref"])
