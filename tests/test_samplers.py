"""The one-evaluation-a-step sampler eipc and the coupled measurement of a sampler's own error."""

import numpy as np
import pytest
import torch

from cldm.dm.coupling import coupled
from cldm.dm.mixture import Mixture
from cldm.dm.sample import generate
from cldm.dm.sde import VESDE
from cldm.settings.sampling import Sampling

SDE = VESDE(25.0)


def unit_score(x, t):
    """The score of unit Gaussian data: the rest r vanishes, and ei's steps are exact."""
    return -x / (1 + SDE.sigma(t) ** 2)


def test_eipc_is_exact_for_unit_gaussian_data_and_its_reference_is_the_path():
    """As ei: N(0, I) without solver error at any step count, and the reference path is the path."""
    n = 200_000
    draw = generate(unit_score, SDE, n, 2, "eipc", 5, seed=3)
    assert torch.allclose(draw.x, draw.ref, atol=1e-5)
    assert abs(draw.ref_var - 1) < 1e-3
    var, err = draw.ref.double().var(0).numpy(), draw.ref_var * np.sqrt(2 / n)
    assert np.all(np.abs(var - draw.ref_var) < 3 * err), (var, draw.ref_var, err)


@pytest.mark.parametrize("sampler", ["ei", "eipc"])
def test_coupled_runs_are_one_path_for_unit_gaussian_data(sampler):
    """With r = 0 both runs are exact, so on one Brownian path the coarse run (6 steps) must land
    where the fine one (24 steps) does: this checks the coarse noise built from the fine one."""
    coarse, fine = coupled(unit_score, SDE, 4096, 2, sampler, 6, 4, seed=1)
    assert torch.allclose(coarse.x, fine.x, atol=1e-5) and torch.allclose(coarse.ref, fine.ref, atol=1e-5)
    assert coarse.x.std() > 0.9  # not a degenerate draw


def coupled_bias(sampler: str, steps: int, n: int = 32768) -> tuple[np.ndarray, np.ndarray]:
    """Mean and error of z^2 (coarse) - z^2 (fine, 4x the steps of ei) on the Gaussian mixture."""
    coarse, fine = coupled(Mixture().score(SDE), SDE, n, 2, sampler, steps, 4, seed=2)
    d = (coarse.x.double().numpy() @ [1, 1j]) ** 2 - (fine.x.double().numpy() @ [1, 1j]) ** 2
    d = np.stack([d.real, d.imag])
    return d.mean(1), d.std(1) / np.sqrt(n)


@pytest.mark.slow
def test_eipc_is_second_order_and_beats_ei_at_equal_evaluations():
    """On a non-Gaussian target (exact score, no network), eipc's error of <z^2> falls ~4x when its
    steps double from 16 to 32 (weak order 2; order 1 would halve it), and at the same NFE (33) it is
    below half of ei's, whose Heun step costs two evaluations."""
    b16, e16 = coupled_bias("eipc", 16)
    b32, e32 = coupled_bias("eipc", 32)
    assert np.all(np.abs(b16) > 5 * e16) and np.all(np.abs(b32) > 4 * e32), (b16, e16, b32, e32)
    ratio = np.abs(b16) / np.abs(b32)
    assert np.all((ratio > 2.8) & (ratio < 6)), ratio
    b_ei, _ = coupled_bias("ei", 16)
    assert np.all(np.abs(b32) + 3 * e32 < np.abs(b_ei) / 2), (b32, e32, b_ei)


def test_eipc_default_reproduces_the_mixture_moments():
    """The default sampler (eipc, 48 steps = 49 NFE) on the mixture: <z^2>, <z^4> within 3 errors."""
    s = Sampling()
    assert (s.sampler, s.steps) == ("eipc", 48)
    n = 100_000
    z = generate(Mixture().score(SDE), SDE, n, 2, s.sampler, s.steps, seed=4).x.double().numpy() @ [1, 1j]
    exact = Mixture().moments(4)
    for k in (2, 4):
        for part in (np.real, np.imag):
            v = part(z**k)
            assert abs(v.mean() - part(exact[k])) < 3 * v.std() / np.sqrt(n), (k, part, v.mean(), exact[k])
