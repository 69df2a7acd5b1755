"""The toy config end to end: output contract, rerun granularity, lint, config checks, determinism."""

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

import yaml

from cldm.config import config_errors
from workflow_helpers import REPO, planned, scratch_copy, snakemake, toy

pytestmark = pytest.mark.slow
POINTS = ("gaussian", "quartic")
K = 2  # ensemble size of config/test.yaml
FIGURES = ("distributions", "flows", "density", "moments", "loss")
ONE_POINT = {"langevin": 1, "train": K, "sample": K, "pool": 1, "moments": 1, "quality": 1, "tables": 1,
             **{f"figure_{f}": 1 for f in FIGURES}}


@pytest.fixture(scope="module")
def study(toy_study, tmp_path_factory):
    """A copy of the session's toy run (these tests write extra config files into it)."""
    work = tmp_path_factory.mktemp("study") / "repo"
    shutil.copytree(toy_study, work, symlinks=True)
    return work


def test_every_contract_file_is_written(study):
    for p in POINTS:
        for name in ("cl.npz", "dm.npz", "moments.csv", "moment_errors.csv", "dm_quality.json", "cl_diagnostics.json",
                     *(f"figures/{f}.{ext}" for f in FIGURES for ext in ("pdf", "png"))):
            assert (study / "results" / p / name).stat().st_size > 0, name
    for ext in ("csv", "md", "tex"):
        assert (study / "results/tables" / f"moments.{ext}").stat().st_size > 0


@pytest.mark.parametrize("name", ["cl.npz", "dm.npz"])
def test_sample_archives(study, name):
    for p in POINTS:
        with np.load(study / "results" / p / name, allow_pickle=False) as f:
            assert f["z"].dtype == np.complex128 and f["z"].ndim == 1 and np.isfinite(f["z"]).all()
            prov = json.loads(str(f["provenance"]))
        assert "versions" in json.dumps(prov) and "seed" in json.dumps(prov)


def test_moments_csv(study):
    for p in POINTS:
        df = pd.read_csv(study / "results" / p / "moments.csv", comment="#")
        assert list(df.columns) == ["n", "estimator", "re", "re_err", "im", "im_err"]
        assert len(df) == 24 and set(df.estimator) == {"exact", "CL", "DM"} and set(df.n) == set(range(1, 9))
        assert (df[df.estimator != "exact"][["re_err", "im_err"]] > 0).all().all()
        assert (study / "results" / p / "moments.csv").read_text().startswith("# provenance: ")


def test_tables(study):
    md = (study / "results/tables/moments.md").read_text()
    assert "<z^2>/2" in md and "0.214071 - 0.074005i" in md and "0.500000 - 0.500000i" in md
    tex = (study / "results/tables/moments.tex").read_text()
    assert tex.count(r"\begin{tabular}") == 2


def test_every_job_has_a_log_and_a_benchmark(study):
    logs = list((study / "results/logs").rglob("*.log"))
    benches = list((study / "results/benchmarks").rglob("*.tsv"))
    n_jobs = len(POINTS) * sum(ONE_POINT.values()) - 1  # the one tables job counted per point
    assert len(logs) == n_jobs and len(benches) == n_jobs


def test_second_run_does_nothing(study):
    assert planned(study) == {}


def write(study, name, text):
    path = study / name
    path.write_text(text)
    return str(path.name)


def test_changing_a_point_reruns_only_its_chain(study):
    extra = write(study, "extra_point.yaml", "points:\n  quartic: {model: quartic, A: 1.0, B: 0.9, lam: 1.0}\n")
    assert planned(study, extra=(extra,)) == ONE_POINT


def test_changing_training_does_not_rerun_langevin(study):
    extra = write(study, "extra_train.yaml", "training: {lr: 1.0e-3}\n")
    jobs = planned(study, extra=(extra,))
    assert "langevin" not in jobs and jobs["train"] == 2 * K and jobs["sample"] == 2 * K


def test_changing_sampling_does_not_retrain(study):
    extra = write(study, "extra_sample.yaml", "sampling: {steps: 12}\n")
    jobs = planned(study, extra=(extra,))
    assert "train" not in jobs and "langevin" not in jobs and jobs["sample"] == 2 * K


def test_editing_a_figure_script_reruns_figures_only(study):
    script = study / "scripts/figure_moments.py"
    original, stat = script.read_text(), script.stat()
    try:
        script.write_text(original + "\n# edited\n")
        assert planned(study) == {"figure_moments": 2}
    finally:  # Snakemake tracks scripts by modification time
        script.write_text(original)
        os.utime(script, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert planned(study) == {}


def test_editing_a_library_module_reruns_its_rules(study):
    module = study / "cldm/plots.py"
    original, stat = module.read_text(), module.stat()
    try:
        module.write_text(original + "\n# edited\n")
        assert planned(study) == {f"figure_{f}": 2 for f in FIGURES}
    finally:
        module.write_text(original)
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_new_point_computes_only_the_new_point(study):
    extra = write(study, "extra_new.yaml", "points:\n  q2: {model: quartic, A: 1.0, B: 0.5, lam: 0.5}\n")
    assert planned(study, extra=(extra,)) == ONE_POINT
    # ...and its files can be built as targets on their own
    assert planned(study, "results/q2/cl.npz", extra=(extra,)) == {"langevin": 1}


def test_lint_is_clean(study):
    proc = snakemake(study, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


BAD_CONFIGS = [
    ({"points": {"gaussian": {"model": "cubic", "A": 1.0, "B": 1.0}}}, "points.gaussian.model"),
    ({"points": {"g2": {"model": "gaussian", "A": 1.0}}}, "'B' is a required property"),
    ({"points": {"g2": {"model": "gaussian", "A": 0.0, "B": 1.0}}}, "points.g2.A"),
    ({"points": {"q2": {"model": "quartic", "A": 1.0, "B": 1.0, "lam": -1.0}}}, "points.q2.lam"),
    ({"points": {"q2": {"model": "quartic", "A": 1.0, "B": 1.0}}}, "'lam' is a required property"),
    ({"points": {"q2": {"model": "quartic", "A": 1.0, "B": 1.0, "lamda": 1.0}}}, "'lamda' was unexpected"),
    ({"points": {"g2": {"model": "gaussian", "A": 1.0, "B": 1.0, "lam": 1.0}}}, "points.g2.lam"),
    ({"langevin": {"samples": 0}}, "langevin.samples"),
    ({"langevin": {"chian": 3}}, "'chian' was unexpected"),
    ({"training": {"ensemble": -2}}, "training.ensemble"),
    ({"training": {"steps": 1.5}}, "training.steps"),
    ({"training": {"batch_size": 1000}}, "training.batch_size: 1000 is not a multiple of levels = 64"),
    ({"sampling": {"sampler": "ddim"}}, "sampling.sampler"),
]


@pytest.mark.parametrize("change, key", BAD_CONFIGS)
def test_schema_names_the_offending_key(change, key):
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    for section, value in change.items():
        config[section] = {**config[section], **value}
    errors = config_errors(config, str(REPO / "workflow/schemas/config.schema.yaml"))
    assert any(key in e for e in errors), errors


@pytest.mark.parametrize("change, key", [BAD_CONFIGS[i] for i in (0, 4, 8)])
def test_bad_config_is_rejected_before_any_job(tmp_path, change, key):
    work = scratch_copy(tmp_path / "bad")
    (work / "bad.yaml").write_text(yaml.safe_dump(change))
    proc = toy(work, extra=("bad.yaml",), check=False)
    assert proc.returncode != 0
    assert "invalid config" in proc.stderr and key in proc.stderr, proc.stderr
    assert not (work / "results").exists()


def test_same_config_gives_byte_identical_moments(study, tmp_path):
    again = scratch_copy(tmp_path / "again")
    toy(again, "results/tables/moments.csv")
    for p in POINTS:
        assert (again / "results" / p / "moments.csv").read_bytes() == (study / "results" / p / "moments.csv").read_bytes()
    assert (again / "results/tables/moments.csv").read_bytes() == (study / "results/tables/moments.csv").read_bytes()
