"""Kinds of diffusion model that the training loop (`cldm.dm.train.train`) and the checkpoints
(`cldm.dm.checkpoint`) know: for each, how to build the network from the training data, how to
rebuild it from a saved state, and the loss that trains it. A new kind (another network, another
loss) is one more entry of FAMILIES.

"score" is the MLP of one complex variable (rows (x, y)); "field" the translation-equivariant
convolutional network of a periodic chain (`cldm.dm.field_model`, rows of L sites' (x, y)).

A model is an nn.Module with the interface of `cldm.dm.model.ScoreNet`, which the samplers and the
sampling stage use: `sde` (the VESDE), `standardize(x)` and `destandardize(u)` between data rows and
the whitened coordinates u the network works in, `forward(u, t)` the score in u, and
`gaussian_law(var)` (mean and covariance in data coordinates of u ~ N(0, var I), the law of the
samplers' control-variate reference path). A model with an energy (`cldm.dm.energy.EnergyNet`) also
has `energy(u, t)` and `energy_and_score(u, t)`, which the Metropolis-adjusted sampler and the
explicit density use. A conditioned model (`cldm.dm.conditioned`, family
"conditioned") takes parameters p as a third argument, forward(u, t, p), and `at(p)` gives the
model at fixed p with this interface: the score at a fixed p is a closure over it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from cldm.dm import conditioned
from cldm.dm.backprop import EpochLevels, dsm_loss_and_grad
from cldm.dm.conditioned_backprop import BlockOrder, conditioned_loss_and_grad
from cldm.dm.energy import EnergyNet
from cldm.dm.field_backprop import field_loss_and_grad
from cldm.dm.field_model import FieldScoreNet, site_covariance_kernel
from cldm.dm.model import ScoreNet
from cldm.dm.sde import VESDE
from cldm.settings.scan import ConditionedTraining
from cldm.settings.training import Training


@dataclass(frozen=True)
class Family:
    """build(cfg, x): the untrained network for training rows x (float64, shape (N, features)),
    whitened with their statistics; restore(cfg, state_dict): the network a state was saved from;
    loss(model, u, t, noise): the training loss of a batch u of whitened rows (model.standardize),
    with one diffusion time per block of consecutive rows in t and standard normal noise;
    settings: the class of the settings it is built from (Training or a subclass with more knobs),
    with which a checkpoint's settings are read back; loss_and_grad(model, u, t, noise, backward, gen),
    if given, the loss with the gradient written to the parameters' .grad, without autograd, its
    backward pass's products in the dtype `backward` (the knob training.backward; `gen` the random
    stream of its stochastic rounding), which the loop
    then uses, with levels(model, times): what loss_and_grad takes for each step instead of its
    times, the per-level terms of an epoch's times (shape (steps, m)), indexed by step; order(u), if
    given, made once from the training rows u (a `BlockOrder`): order(block, gen), the rows an
    epoch visits in the order it visits them (default: a random permutation of all), and
    order.rows(block) how many, for a loss_and_grad that needs each block of `block` rows (one
    noise level) to share something."""

    build: Callable[[Training, torch.Tensor], nn.Module]
    restore: Callable[[Training, dict], nn.Module]
    loss: Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    settings: type[Training] = Training
    loss_and_grad: Callable[..., torch.Tensor] | None = None
    levels: Callable[[nn.Module, torch.Tensor], object] | None = None
    order: Callable[[torch.Tensor], BlockOrder] | None = None


def dsm_loss(model: ScoreNet, u: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """E || s(t) s_theta(u + s(t) z, t) + z ||^2, s(t) the noise level of the VE SDE (denoising score
    matching weighted by s(t)^2, Vincent 2011; Song et al. 2021); t holds one time per block of
    consecutive rows of u."""
    level = model.sde.sigma(t).repeat_interleave(len(u) // t.numel())[:, None]
    return ((level * model(u + level * noise, t) + noise) ** 2).sum(dim=1).mean()


def _score_net(cfg: Training, x: torch.Tensor) -> ScoreNet:
    mean, chol = x.mean(0), torch.linalg.cholesky(torch.cov(x.T))
    return ScoreNet(VESDE(cfg.alpha), mean, chol, cfg.hidden, cfg.embed_dim, cfg.embed_scale)


def _restore_score_net(cfg: Training, state: dict) -> ScoreNet:
    return ScoreNet(VESDE(cfg.alpha), state["mean"], state["chol"], cfg.hidden, cfg.embed_dim, cfg.embed_scale)


def _energy_net(cfg: Training, x: torch.Tensor) -> EnergyNet:
    """Whitened by the data's covariance, or, for an even energy, by its second moment about 0 (the
    centre of the symmetry x -> -x; the data's mean is 0 up to its noise)."""
    if cfg.even:
        mean, second = torch.zeros(x.shape[1], dtype=x.dtype), x.T @ x / len(x)
    else:
        mean, second = x.mean(0), torch.cov(x.T)
    return EnergyNet(VESDE(cfg.alpha), mean, torch.linalg.cholesky(second), cfg.hidden, cfg.embed_dim,
                     cfg.embed_scale, cfg.even)


def _restore_energy_net(cfg: Training, state: dict) -> EnergyNet:
    return EnergyNet(VESDE(cfg.alpha), state["mean"], state["chol"], cfg.hidden, cfg.embed_dim, cfg.embed_scale,
                     cfg.even)


def _field_net(cfg: Training, x: torch.Tensor) -> FieldScoreNet:
    return FieldScoreNet(VESDE(cfg.alpha), *site_covariance_kernel(x), cfg.channels, 2 * cfg.reach + 1, cfg.embed_dim,
                         cfg.embed_scale)


def _restore_field_net(cfg: Training, state: dict) -> FieldScoreNet:
    return FieldScoreNet(VESDE(cfg.alpha), state["mean"], state["kernel"], cfg.channels, 2 * cfg.reach + 1, cfg.embed_dim,
                         cfg.embed_scale)


FAMILIES: dict[str, Family] = {
    "score": Family(_score_net, _restore_score_net, dsm_loss, loss_and_grad=dsm_loss_and_grad,
                    levels=EpochLevels),
    "energy": Family(_energy_net, _restore_energy_net, dsm_loss),
    "field": Family(_field_net, _restore_field_net, dsm_loss, loss_and_grad=field_loss_and_grad, levels=EpochLevels),
    "conditioned": Family(conditioned.build, conditioned.restore, conditioned.conditioned_dsm_loss, ConditionedTraining,
                         loss_and_grad=conditioned_loss_and_grad, levels=EpochLevels,
                         order=lambda u: BlockOrder(u, conditioned.DIM)),
}
"""Name -> kind of model; checkpoints record the name."""
