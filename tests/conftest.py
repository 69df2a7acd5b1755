import os

# One BLAS thread, as Snakemake gives every job with threads: 1 (the tests run beside each other and
# beside workflow runs; oversubscribed OpenBLAS made small matrix products 10-40x slower). Set
# before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import pytest
import torch

from cldm.dm.train import Trained, train
from cldm.physics.exact import gaussian_cl_covariance
from cldm.settings.training import Training
from workflow_helpers import scratch_copy, toy
from xdist_groups import build_once, group_by_shared_fixture, once_per_run

# Two pytest-xdist workers, a group per shared fixture (tests/xdist_groups.py)
pytest_collection_modifyitems = pytest.hookimpl(tryfirst=True)(group_by_shared_fixture)


C = gaussian_cl_covariance(1, 1)  # the CL distribution of the Gaussian model, sigma = 1 + i


def gaussian_data(n: int, seed: int) -> np.ndarray:
    """n exact samples (x, y) of the Gaussian CL distribution at sigma = 1 + i."""
    return np.random.default_rng(seed).multivariate_normal([0, 0], C, size=n)


@pytest.fixture(autouse=True)
def _single_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
@once_per_run
def toy_study(tmp_path_factory):
    """The toy config run once end to end in a scratch copy, shared by every worker of the run; tests
    that change it work on a copy."""
    return build_once(tmp_path_factory, "toy", lambda work: toy(scratch_copy(work)))


@pytest.fixture(scope="session")
def gaussian_model() -> tuple[Trained, np.ndarray]:
    """A score model trained on 180k exact samples of the Gaussian CL density at sigma = 1 + i (3000
    steps, ~10 s), and its training data; shared by the sampler, density and curl tests."""
    data = gaussian_data(200_000, 0)
    cfg = Training(steps=3000, batch_size=512, warmup=200, log_every=500, lr=2e-3, ema=0.999)
    return train(data[:180_000], data[180_000:], cfg, seed=1), data[:180_000]
