"""Settings of the training stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cldm.dm.kinds import DEFAULT, KINDS
from cldm.settings import Stage, knob

ENERGY_KNOBS = ("even",)
"""Knobs that only models with an energy read: a score model's jobs do not depend on them."""
SCORE_KNOBS = ("backward",)
"""Knobs that only score models read (their gradient by hand): an energy model's jobs do not depend on them."""


@dataclass(frozen=True)
class Training(Stage):
    description: ClassVar[str] = "the model ensembles: kinds, network, noise levels, optimiser"
    ensemble: int = knob(4, "independently trained models per point, each on its own share of the CL chains",
                         minimum=1)
    val_fraction: float = knob(0.1, "held-out chains per member", exclusiveMinimum=0, exclusiveMaximum=0.5)
    alpha: float = knob(25.0, "VE SDE dx = alpha^t dw (<= 1e6: sigma(1) ~ alpha / sqrt(2 ln alpha) and its square "
                              "stay finite in float32)", exclusiveMinimum=1, maximum=1e6)
    hidden: tuple[int, ...] = knob((64, 64, 64), "widths of the MLP's hidden layers", minItems=1,
                                   items={"minimum": 1})
    channels: tuple[int, ...] = knob((32, 32, 32), "chain points (field network): channels of the periodic "
                                     "convolutions' hidden layers", minItems=1, items={"minimum": 1})
    reach: int = knob(2, "chain points (field network): sites on each side that each periodic convolution sees "
                            "(2 reach + 1 sites)", minimum=0)
    embed_dim: int = knob(128, "Gaussian-Fourier time embedding dimension", minimum=2, multipleOf=2)
    embed_scale: float = knob(1.0, "scale of the embedding's frequencies (of ln(sigma)/4)", exclusiveMinimum=0)
    p_mean: float = knob(-1.2, "training noise levels: ln sigma ~ N(p_mean, p_std^2) (EDM's)")
    p_std: float = knob(1.2, "training noise levels: ln sigma ~ N(p_mean, p_std^2) (EDM's)", exclusiveMinimum=0)
    levels: int = knob(64, "noise levels per batch (stratified), each shared by batch_size / levels samples",
                       minimum=1)
    antithetic: bool = knob(False, "at noise levels below the whitened data's scale (sigma < 1), each level's block "
                            "of rows as half as many data points, each with noise z and -z (antithetic pairs: the "
                            "loss gradient's term linear in z cancels, 5-75x less variance; docs/accuracy.md)")
    t_eps: float = knob(1e-5, "smallest training time (noise levels are clipped to [sigma(t_eps), sigma(1)]; "
                        ">= 1e-12: sigma(t_eps) ~ sqrt(t_eps) stays above float32's resolution)",
                        minimum=1e-12, exclusiveMaximum=1)
    steps: int = knob(10000, "optimiser steps", minimum=1)
    batch_size: int = knob(2048, "samples per optimiser step (per sample, 2048 cost 1.3x less than 1024: the "
                           "per-step overhead is shared; 4096 x 5000 steps left the models' tails twice as "
                           "high at a held-out point, docs/accuracy.md)", minimum=1)
    lr: float = knob(1.4e-3, "peak learning rate (linear warm-up, then cosine decay to 0)", exclusiveMinimum=0)
    warmup: int = knob(250, "warm-up steps", minimum=0)
    backward: str = knob("bfloat16", "precision of the backward pass's matrix products in score models' training (their "
                         "gradient by hand: the one-variable, field and conditioned networks; the forward pass, loss "
                         "and weights stay float32): bfloat16 (1.2x faster "
                         "steps on a CPU with native bfloat16; the weights rounded stochastically, the gradient "
                         "~3e-3 relative; paired trainings give the same models' moments, docs/accuracy.md; "
                         "elsewhere choose float32) or float32", enum=["bfloat16", "float32"])
    ema: float = knob(0.999, "decay of the exponential moving average of the weights", minimum=0,
                      exclusiveMaximum=1)
    log_every: int = knob(100, "steps between loss-log entries", minimum=1)
    checkpoint_every: int = knob(1000, "steps between resume checkpoints", minimum=1)
    max_loss: float = knob(1000.0, "stop as diverged above this loss", exclusiveMinimum=0)
    kind: tuple[str, ...] = knob((DEFAULT,), "kinds of model trained for the point, an ensemble each (a list, e.g. "
                                 "[score, energy]: both side by side): " + "; ".join(f"{k}: {v.doc}" for k, v in KINDS.items()),
                                 minItems=1, uniqueItems=True, items={"enum": list(KINDS)})
    even: bool = knob(True, "energy models: E(u) = E(-u) by construction, P(x, y) = P(-x, -y) as for every action "
                            "here (the whitening is then centred at 0)")

    def params(self, kind: str | None = None) -> dict:
        """What a job depends on: every knob but `kind` (which ensembles exist, not what one
        computes), for a kind without an energy not the energy models' knobs (adding or tuning an
        energy model reruns no score-model job), and for a kind with one not the score models'."""
        own = () if kind is None else SCORE_KNOBS if KINDS[kind].energy else ENERGY_KNOBS
        drop = ("kind", *own)
        return {k: v for k, v in self.as_dict().items() if k not in drop}

    def data_problem(self, train_points: int, val_points: int) -> str | None:
        """Why `train` cannot run on this many training and validation points (each set must hold a
        whole batch), or None."""
        if min(train_points, val_points) < self.batch_size:
            return (f"{train_points} training and {val_points} validation points: fewer than batch_size "
                    f"{self.batch_size}")
        return None

    def errors(self) -> list[tuple[str, str]]:
        """training: batch_size is a multiple of levels (each level is shared by a block of rows), of
        2 x levels with antithetic pairs (each block holds pairs)."""
        if self.batch_size % self.levels:
            return [("batch_size", f"{self.batch_size} is not a multiple of levels = {self.levels}")]
        if self.antithetic and (self.batch_size // self.levels) % 2:
            return [("antithetic", f"pairs need an even number of rows per noise level; batch_size / levels "
                                   f"= {self.batch_size // self.levels}")]
        return []
