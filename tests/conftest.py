import pytest
import torch

from workflow_helpers import scratch_copy, toy


@pytest.fixture(autouse=True)
def _single_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def toy_study(tmp_path_factory):
    """The toy config run once end to end in a scratch copy; tests that change it work on a copy."""
    work = scratch_copy(tmp_path_factory.mktemp("toy"))
    toy(work)
    return work
