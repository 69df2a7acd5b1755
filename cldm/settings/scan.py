"""Settings of a parameter scan (config section `scans`): the scan's own knobs, and the training of
its conditioned score model (the training settings of one model plus the embedding of the
conditioning parameters p)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cldm.settings import Stage, knob
from cldm.settings.training import Training


@dataclass(frozen=True)
class ConditionedTraining(Training):
    description: ClassVar[str] = ("the conditioned score-model ensemble of a scan: the training settings of one model "
                                  "and the embedding of the conditioning parameters")
    cond_dim: int = knob(32, "width of the embedding of the normalised scan parameters p (two SiLU layers) from which "
                             "every hidden layer takes its FiLM scale and shift", minimum=1)

    def plain(self) -> Training:
        """The same settings without the conditioning: those of a per-point model."""
        return Training.from_dict({k: v for k, v in self.as_dict().items() if k in Training.__dataclass_fields__})


@dataclass(frozen=True)
class Scan(Stage):
    description: ClassVar[str] = "a parameter scan: the dense grid of the figure and the per-point comparison"
    grid: int = knob(21, "values of the dense grid sampled for the figure's band, evenly spaced from the smallest to "
                         "the largest value of the scan (train and test)", minimum=2)
    grid_samples: int = knob(16384, "DM samples per ensemble member at each grid value", minimum=1)
    baseline: bool = knob(False, "also train per-point models (the scan's training settings, no conditioning) at the "
                                 "training values nearest to the test values: the cheap alternative, evaluated at the "
                                 "test value, that the conditioned model is compared with (costs a point's DAG each)")
