"""Typed settings, the generated config schema, the resolved study, code hashes and the device."""

import dataclasses

import pytest
import torch
import yaml

from cldm import CldmError
from cldm.codehash import code_hash, dependencies
from cldm.config import SCHEMA_FILE, STAGES, config_errors, config_schema, load_study, merge_config_files, schema_yaml
from cldm.dm.device import resolve_device
from cldm.dm.train import train
from cldm.settings import SettingsError
from cldm.settings.langevin import Langevin
from cldm.settings.sampling import Sampling
from cldm.settings.training import Training
from conftest import gaussian_data
from workflow_helpers import REPO


def test_the_schema_file_is_the_generated_schema():
    """workflow/schemas/config.schema.yaml is written by `python -m cldm.config`: regenerate it after
    changing a setting."""
    assert (REPO / SCHEMA_FILE).read_text() == schema_yaml()


def test_every_setting_has_a_description_and_its_default_in_the_schema():
    schema = config_schema()["$defs"]
    for name, cls in STAGES.items():
        for f in dataclasses.fields(cls):
            text = schema[name]["properties"][f.name]["description"]
            assert f.metadata["doc"] and f"(default: {cls().as_dict()[f.name]!r})" in text, (name, f.name)


def test_the_defaults_satisfy_their_own_schema():
    """A config of points and seed alone is valid, and resolves to the settings' defaults."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    assert set(config) == {"points", "seed"}  # the study's settings are the defaults, stated once
    study = load_study(config)
    point = study.points["quartic"]
    assert point.training == Training() and point.langevin == Langevin() and point.sampling == Sampling()
    assert study.device == "auto" and study.threads.train == 1


def test_the_held_out_points_only_add_points_to_the_study():
    """config/heldout.yaml (merged by --configfile into config/config.yaml): new points, no settings, so
    they run with the defaults the study's points run with."""
    base = yaml.safe_load((REPO / "config/config.yaml").read_text())
    extra = yaml.safe_load((REPO / "config/heldout.yaml").read_text())
    assert set(extra) == {"points"} and not set(extra["points"]) & set(base["points"])
    merged = merge_config_files([str(REPO / "config/config.yaml"), str(REPO / "config/heldout.yaml")])
    assert merged == {**base, "points": {**base["points"], **extra["points"]}}  # as Snakemake merges them
    study = load_study(merged)
    assert all(study.points[p].training == Training() and study.points[p].sampling == Sampling() for p in extra["points"])


def test_a_point_overrides_the_global_section_which_overrides_the_defaults():
    config = {"points": {"a": {"model": "gaussian", "A": 1.0, "B": 1.0, "training": {"steps": 7}},
                         "b": {"model": "gaussian", "A": 1.0, "B": 2.0, "seed": 3}},
              "seed": 1, "training": {"steps": 5, "lr": 0.01}}
    study = load_study(config)
    assert study.points["a"].training == Training(steps=7, lr=0.01)
    assert study.points["b"].training == Training(steps=5, lr=0.01)
    assert (study.points["a"].seed, study.points["b"].seed) == (1, 3)


def test_sampling_params_hold_the_chosen_samplers_options_only():
    """A job depends on the options its sampler takes: another sampler's option reruns nothing; the
    error budget's settings count only where the sample count is not fixed."""
    assert set(Sampling(sampler="ei", samples=1000).params()) == {"sampler", "steps", "samples", "batch", "t_eps",
                                                                  "power"}
    assert set(Sampling(sampler="heun", samples=1000).params()) == {"sampler", "steps", "samples", "batch",
                                                                    "sigma_min", "rho", "churn"}
    assert set(Sampling(sampler="ei").params()) == {"sampler", "steps", "samples", "batch", "t_eps", "power",
                                                    "error_ratio", "pilot_samples", "max_samples"}
    assert Sampling(sampler="ei", churn=0.5).params() == Sampling(sampler="ei").params()
    assert Sampling(samples=1000, error_ratio=0.1).params() == Sampling(samples=1000).params()


def test_rules_between_fields_hold_for_library_users_too():
    with pytest.raises(SettingsError, match="batch_size: 1000 is not a multiple of levels = 64"):
        Training(batch_size=1000)
    config = {"points": {"q": {"model": "quartic", "A": 1.0, "B": 1.0, "lam": 1.0, "training": {"levels": 3}}},
              "seed": 1}
    assert config_errors(config) == [f"points.q.training.batch_size: {Training().batch_size} is not a multiple of levels = 3"]
    config["training"] = {"batch_size": 1000}
    del config["points"]["q"]["training"]
    assert config_errors(config) == ["training.batch_size: 1000 is not a multiple of levels = 64"]


def test_an_invalid_config_is_refused_with_every_problem_named():
    config = {"points": {"q": {"model": "quartic", "A": 1.0, "B": 1.0, "lam": 0.0}}, "seed": 1,
              "sampling": {"steps": 1}}
    with pytest.raises(CldmError) as err:
        load_study(config)
    assert "points.q.lam" in str(err.value) and "sampling.steps" in str(err.value)


# ---- code hashes -------------------------------------------------------------------------------


def test_dependencies_follow_imports_transitively_and_skip_type_checking_imports():
    deps = {str(p.relative_to(REPO)) for p in dependencies("scripts/figure_moments.py", REPO)}
    assert {"scripts/figure_moments.py", "cldm/job.py", "cldm/stages/figures.py", "cldm/plots/figures.py",
            "cldm/plots/fields.py", "cldm/physics/exact.py", "cldm/__init__.py", "cldm/plots/__init__.py"} <= deps
    assert not any(d.startswith("cldm/dm/") for d in deps), deps  # fields.py imports ScoreNet for annotations only
    train_deps = {str(p.relative_to(REPO)) for p in dependencies("scripts/train.py", REPO)}
    assert {"cldm/dm/train.py", "cldm/dm/model.py", "cldm/settings/training.py"} <= train_deps
    assert "cldm/settings/sampling.py" not in train_deps


def test_code_hash_sees_code_not_comments_docstrings_or_layout(tmp_path):
    pkg = tmp_path / "cldm"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "lib.py").write_text('"""Doc."""\n\n\ndef f(x):\n    """Twice x."""\n    return 2 * x\n')
    (tmp_path / "script.py").write_text("from cldm.lib import f\n\nprint(f(1))\n")
    before = code_hash("script.py", tmp_path)
    (pkg / "lib.py").write_text('"""Other doc."""\n# a comment\n\ndef f(x):  # twice\n\n    return 2 * x\n')
    assert code_hash("script.py", tmp_path) == before
    (pkg / "lib.py").write_text('def f(x):\n    return 3 * x\n')
    assert code_hash("script.py", tmp_path) != before


# ---- device ------------------------------------------------------------------------------------


def test_device_auto_is_the_cpu_without_a_gpu_and_cuda_without_one_is_an_error():
    if torch.cuda.is_available():
        assert resolve_device("auto").type == "cuda"
    else:
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(CldmError, match="device: cuda"):
            resolve_device("cuda")
    assert resolve_device("cpu").type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: the GPU path is tested where one is present")
def test_a_toy_training_and_sampling_run_on_cuda():
    from cldm.dm.sample import generate

    data = gaussian_data(5000, 3)
    cfg = Training(steps=30, batch_size=128, warmup=5, log_every=10)
    cpu, gpu = (train(data[:4000], data[4000:], cfg, seed=7, device=d) for d in ("cpu", "cuda"))
    assert next(gpu.model.parameters()).device.type == "cpu"  # returned on the CPU
    assert abs(cpu.log[-1]["val_loss"] - gpu.log[-1]["val_loss"]) < 0.05 * cpu.log[-1]["val_loss"]
    x = generate(gpu.model.to("cuda"), gpu.model.sde, 1000, 2, "ei", 10, seed=1, device="cuda").x
    assert x.device.type == "cpu" and torch.isfinite(x).all()
