"""Samples where they pay: each member's sample count from its error budget (cldm.analysis.budget)."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from cldm.analysis.budget import data_z2_errors, samples_needed, z2_errors
from cldm.dm.checkpoint import save_model
from cldm.dm.sample import batch_sizes, concat, draw_batches, generate
from cldm.io import load_samples, save_samples
from cldm.provenance import derive_seed
from cldm.settings import SettingsError
from cldm.settings.sampling import Sampling
from cldm.settings.training import Training
from cldm.stages.sampling import sample_member

from conftest import gaussian_data
from workflow_helpers import REPO


def test_samples_needed_scales_the_pilot_by_the_squared_error_ratio():
    """Errors fall as 1/sqrt(N): a pilot error twice the target needs 4 pilots; the worse part decides;
    whole batches; never below the pilot nor above the cap."""
    assert samples_needed(1000, (0.2, 0.1), (1.0, 1.0), 0.1, 100, 10**6) == 4000
    assert samples_needed(1000, (0.1, 0.3), (1.0, 1.0), 0.1, 100, 10**6) == 9000
    assert samples_needed(1000, (0.2, 0.1), (1.0, 1.0), 0.1, 300, 10**6) == 4200
    assert samples_needed(1000, (0.01, 0.01), (1.0, 1.0), 0.1, 100, 10**6) == 1000
    assert samples_needed(1000, (1.0, 1.0), (1.0, 1.0), 0.1, 100, 50_000) == 50_000
    assert samples_needed(1000, (0.2, 0.1), (0.0, 1.0), 0.1, 100, 50_000) == 50_000


def test_a_cap_below_the_pilot_is_refused_before_any_job():
    with pytest.raises(SettingsError, match="max_samples: 1000 is below the pilot's 2048"):
        Sampling(pilot_samples=2000, batch=1024, max_samples=1000)


def test_a_continued_stream_gives_the_samples_of_one_run():
    """The pilot and the rest, drawn one after the other from one generator, are the first N samples of
    the member's stream: the sample count is the only thing the budget adds."""
    from cldm.dm.sde import VESDE
    sde = VESDE(25.0)

    def score(x, t):  # the exact score of unit Gaussian data (a score that pushes samples out is refused)
        return -x / (1 + sde.sigma(t) ** 2)
    whole = generate(score, sde, 3 * 512 + 100, 2, "eipc", 6, seed=9, batch=512)
    gen = torch.Generator().manual_seed(9)
    parts = [draw_batches(score, sde, batch_sizes(n, 512), 2, "eipc", 6, gen) for n in (1024, 612)]
    both = concat(parts)
    assert torch.equal(whole.x, both.x) and torch.equal(whole.ref, both.ref)


@pytest.fixture(scope="module")
def budget_inputs(gaussian_model, tmp_path_factory):
    """A trained Gaussian model on disk and 'CL chains' of 200 x 100 exact (independent) samples."""
    tmp = tmp_path_factory.mktemp("budget")
    (model, _, _), _ = gaussian_model
    save_model(model, Training(steps=3000, batch_size=512, warmup=200, log_every=500, lr=2e-3, ema=0.999),
               str(tmp / "m.pt"), {})
    z = gaussian_data(20_000, 5) @ [1, 1j]
    save_samples(str(tmp / "cl.npz"), z, {"params": {}}, chains=np.int64(200))
    return tmp


def run_budget(tmp, settings: Sampling, name: str) -> dict:
    training = Training(ensemble=2, val_fraction=0.1)
    sample_member("p", 0, settings, 11, str(tmp / "m.pt"), str(tmp / name), training=training,
                  cl_path=str(tmp / "cl.npz"))
    return load_samples(str(tmp / name))


def test_the_budget_meets_its_error_ratio_and_is_deterministic(budget_inputs):
    """Without control variates (heun) the sampling error of <z^2> is the plain one: the budget asks
    for more than the pilot, and the whole draw's error is then ratio x the data error of the
    member's training chains (to the pilot's 1.5% precision in the error); a second run gives the same
    samples, which are the first N of the member's stream."""
    settings = Sampling(sampler="heun", steps=15, samples=None, error_ratio=0.7, pilot_samples=4096, batch=2048,
                        max_samples=200_000)
    out = run_budget(budget_inputs, settings, "a.npz")
    budget = out["provenance"]["params"]["budget"]
    n = budget["samples"]
    assert len(out["z"]) == n and 4096 < n < 200_000 and n % 2048 == 0, budget
    chains = load_samples(str(budget_inputs / "cl.npz"))["z"].reshape(200, 100)[np.arange(0, 200, 2)[:-10]]
    assert np.allclose(budget["data_errors"], data_z2_errors(chains))
    achieved = np.array(z2_errors(out["z"]))
    assert np.all(achieved <= 0.7 * np.array(budget["data_errors"]) * 1.05), (achieved, budget)
    assert np.any(achieved > 0.7 * np.array(budget["data_errors"]) * 0.8), (achieved, budget)
    again = run_budget(budget_inputs, settings, "b.npz")
    assert np.array_equal(out["z"], again["z"])
    from cldm.dm.checkpoint import load_model
    model = load_model(str(budget_inputs / "m.pt"))
    first = generate(model, model.sde, n, 2, "heun", 15, derive_seed(11, "sample", "p", 0), 2048,
                     **settings.options()).x
    assert np.allclose(out["z"], model.destandardize(first).double().numpy() @ [1, 1j])


def test_control_variates_make_the_pilot_enough_for_a_gaussian_model(budget_inputs):
    """With eipc's reference path the Gaussian model's sampling error is far below its data's: the
    budget stops at the pilot (the study's Gaussian point), and the samples carry the reference."""
    out = run_budget(budget_inputs, Sampling(pilot_samples=4096, batch=2048), "c.npz")
    budget = out["provenance"]["params"]["budget"]
    assert budget["samples"] == 4096 and len(out["z"]) == 4096 and "z_ref" in out
    assert max(np.array(budget["pilot_errors"]) / budget["data_errors"]) < 0.1, budget


def test_a_sample_jobs_error_budget_loads_neither_scipy_nor_pandas():
    """The sample stage and its error budget (the Gamma method of the training chains, the control
    variates of the pilot) run without importing scipy or pandas: 0.24 s and 0.5 s of every sample
    job. In a fresh process, since this one has imported both."""
    code = """
import sys
import numpy as np
import cldm.stages.sampling
from cldm.analysis.budget import data_z2_errors, z2_errors
z = np.random.default_rng(0).standard_normal((8, 64, 2)) @ [1, 1j]
data_z2_errors(z)
z2_errors(z[0], z[1], np.zeros(2), np.eye(2))
print(sorted(m for m in ("scipy", "pandas") if m in sys.modules))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert run.stdout.strip() == "[]", run.stdout + run.stderr
