"""The stages without Snakemake: a point from CL to its moments table, twice from scratch, in-process.

Workflow-level determinism (Snakemake passing the same parameters to the same stages, locally and
through SLURM) is checked byte for byte by tests/test_slurm.py against the session's toy run; this
test pins the stages themselves, at a tenth of the cost of a second workflow run.
"""

import json
from pathlib import Path

import yaml

from cldm.config import load_study
from cldm.io import load_samples
from cldm.stages.langevin import run_langevin
from cldm.stages.moments import point_moments
from cldm.stages.pool import pool_members
from cldm.stages.sampling import sample_member
from cldm.stages.training import train_member
from workflow_helpers import REPO


def toy_point(name: str):
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config.update(yaml.safe_load((REPO / "config/test.yaml").read_text()))
    config["training"]["steps"] = 100  # the toy scale, shorter: the numbers need not be good here
    return load_study(config).points[name]


def run_point(root: Path, name: str = "quartic") -> Path:
    """langevin -> train -> sample -> pool -> moments for one point of the toy config, under root."""
    p = toy_point(name)
    run_langevin(name, p.physics, p.langevin, p.seed, str(root / "cl.npz"), str(root / "cl_diagnostics.json"), "c")
    samples = []
    for k in range(p.training.ensemble):
        train_member(name, k, p.training, p.seed, str(root / "cl.npz"), str(root / f"m{k}.pt"), str(root / f"l{k}.csv"),
                     code="c")
        sample_member(name, k, p.sampling, p.seed, str(root / f"m{k}.pt"), str(root / f"s{k}.npz"), "c",
                      training=p.training, cl_path=str(root / "cl.npz"))
        samples.append(str(root / f"s{k}.npz"))
    pool_members(samples, str(root / "dm.npz"))
    point_moments(name, p.physics, p.training, str(root / "cl.npz"), str(root / "dm.npz"), str(root / "moments.csv"),
                  str(root / "errors.csv"), "c")
    return root


def test_same_settings_give_byte_identical_results(tmp_path):
    a, b = run_point(tmp_path / "a"), run_point(tmp_path / "b")
    for name in ("cl.npz", "m0.pt", "s1.npz", "dm.npz", "moments.csv", "errors.csv", "cl_diagnostics.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    prov = load_samples(str(a / "s1.npz"))["provenance"]
    assert prov["code"] == "c" and prov["params"]["member"] == 1 and "torch" in prov["versions"]
    assert json.loads((a / "cl_diagnostics.json").read_text())["provenance"]["params"]["langevin"]["chains"] == 64
