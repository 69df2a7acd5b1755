"""The toy config end to end: output contract, rerun granularity, lint, config checks, determinism."""

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import yaml

from cldm.config import config_errors
from cldm.settings.training import Training
from workflow_helpers import REPO, planned, scratch_copy, snakemake, toy

pytestmark = pytest.mark.slow
POINTS = ("gaussian", "quartic")
K = 2  # ensemble size of config/test.yaml
FIGURES = ("distributions", "flows", "density", "moments", "loss", "boundary")
FIGURE_JOBS = {"figure_distributions": 1, "figure_moments": 1, "figure_loss": 1, "figure_field": 2, "figure_boundary": 1}
STUDY_JOBS = {"tables": 1, "trust": 1, "figure_trust": 1}  # one job for all points
ONE_POINT = {"langevin": 1, "train": K, "sample": K, "pool": 1, "moments": 1, "quality": 1, **STUDY_JOBS, **FIGURE_JOBS}


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
        assert (study / "results/tables" / f"trust.{ext}").stat().st_size > 0
    for ext in ("pdf", "png"):
        assert (study / "results/figures" / f"trust.{ext}").stat().st_size > 0


@pytest.mark.parametrize("name", ["cl.npz", "dm.npz"])
def test_sample_archives(study, name):
    for p in POINTS:
        with np.load(study / "results" / p / name, allow_pickle=False) as f:
            assert f["z"].dtype == np.complex128 and f["z"].ndim == 1 and np.isfinite(f["z"]).all()
            prov = json.loads(str(f["provenance"]))
        assert "versions" in json.dumps(prov) and "seed" in json.dumps(prov)


def test_moments_csv(study):
    for p in POINTS:
        table = pd.read_csv(study / "results" / p / "moments.csv", comment="#")
        assert list(table.columns) == ["quantity", "n", "estimator", "re", "re_err", "im", "im_err"]
        assert list(table.quantity.unique()) == ["moment", "cumulant"]
        for quantity, ns in (("moment", range(1, 9)), ("cumulant", (2, 4, 6, 8))):
            df = table[table.quantity == quantity]
            assert len(df) == 3 * len(ns) and set(df.estimator) == {"exact", "CL", "DM"} and set(df.n) == set(ns)
        assert (table[table.estimator != "exact"][["re_err", "im_err"]] > 0).all().all()
        errors = pd.read_csv(study / "results" / p / "moment_errors.csv", comment="#")
        assert list(errors.quantity.unique()) == ["moment", "cumulant"] and len(errors) == 2 * 2 * (8 + 4)
        assert (study / "results" / p / "moments.csv").read_text().startswith("# provenance: ")


def test_tables(study):
    md = (study / "results/tables/moments.md").read_text()
    assert "<z^2>/2" in md and "0.214071 - 0.074005i" in md and "0.500000 - 0.500000i" in md
    assert "| kappa_4 | -0.060347 + 0.100083i |" in md and "pull DM (Re, Im)" in md
    tex = (study / "results/tables/moments.tex").read_text()
    assert tex.count(r"\begin{tabular}") == 2


def test_every_job_has_a_log_and_a_benchmark(study):
    logs = list((study / "results/logs").rglob("*.log"))
    benches = list((study / "results/benchmarks").rglob("*.tsv"))
    n_jobs = len(POINTS) * sum(ONE_POINT.values()) - (len(POINTS) - 1) * sum(STUDY_JOBS.values())
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
    extra = write(study, "extra_train.yaml", f"training: {{lr: {2 * Training().lr!r}}}\n")  # not the default
    jobs = planned(study, extra=(extra,))
    assert "langevin" not in jobs and jobs["train"] == 2 * K and jobs["sample"] == 2 * K


def test_changing_sampling_does_not_retrain(study):
    extra = write(study, "extra_sample.yaml", "sampling: {steps: 12}\n")
    jobs = planned(study, extra=(extra,))
    assert "train" not in jobs and "langevin" not in jobs and jobs["sample"] == 2 * K


@contextlib.contextmanager
def edited(path: Path, edit):
    """The file with edit(text) as its text; afterwards its text and modification time as before."""
    original, stat = path.read_text(), path.stat()
    try:
        path.write_text(edit(original))
        yield
    finally:
        path.write_text(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def touched(path: Path):
    return edited(path, lambda text: text)


def comment_and_docstring(text: str) -> str:
    """A comment appended and the first docstring reworded: the code is the same."""
    return re.sub(r'"""', '"""Reworded. ', text, count=1) + "\n# a comment\n"


def new_code(text: str) -> str:
    return text + "\nUNUSED_CONSTANT = 1\n"


@pytest.mark.parametrize("path, rerun", [
    ("scripts/figure_moments.py", {"figure_moments": 2}),  # a rule script
    ("cldm/analysis/quality.py", {"quality": 2}),  # a module of one rule
    ("cldm/plots/figures.py", {**{f: 2 * n for f, n in FIGURE_JOBS.items()}, "figure_trust": 1}),  # every figure imports it
    ("cldm/settings/sampling.py", {"sample": 2 * K, "pool": 2, "moments": 2, "quality": 2, "tables": 1, "trust": 1,
                                   "figure_trust": 1, "figure_distributions": 2, "figure_moments": 2}),  # one stage's settings, and what follows
])
def test_editing_code_reruns_exactly_the_rules_that_import_it(study, path, rerun):
    """The rules' `code` parameter hashes their script and the library it imports by content."""
    with edited(study / path, new_code):
        assert planned(study) == rerun
    assert planned(study) == {}


@pytest.mark.parametrize("path", ["scripts/train.py", "cldm/dm/train.py", "cldm/plots/figures.py"])
def test_comments_docstrings_and_touching_rerun_nothing(study, path):
    with edited(study / path, comment_and_docstring):
        assert planned(study) == {}
    with touched(study / path):
        assert planned(study) == {}


def test_a_new_point_computes_only_the_new_point(study):
    extra = write(study, "extra_new.yaml", "points:\n  q2: {model: quartic, A: 1.0, B: 0.5, lam: 0.5}\n")
    assert planned(study, extra=(extra,)) == ONE_POINT
    # ...and its files can be built as targets on their own
    assert planned(study, "results/q2/cl.npz", extra=(extra,)) == {"langevin": 1}


def test_lint_is_clean_but_for_the_software_environment(study):
    """Snakemake's linter finds nothing but the wish for a conda env or container per rule: the
    software comes from requirements.txt in one virtual environment (README, "Quick start")."""
    proc = snakemake(study, "--lint", "--configfile", "config/test.yaml", check=False)
    lints = re.findall(r"^\s*\* (.+?):$", proc.stdout + proc.stderr, re.M)
    assert lints and set(lints) == {"Specify a conda environment or container for each rule."}, proc.stderr


BAD_CONFIGS = [
    ({"points": {"gaussian": {"model": "cubic", "A": 1.0, "B": 1.0}}}, "points.gaussian.model: 'cubic' is not accepted; accepted: one of 'gaussian', 'quartic'"),
    ({"points": {"g2": {"model": "gaussian", "A": 1.0}}}, "points.g2.B: missing; model 'gaussian' needs: A, B"),
    ({"points": {"g2": {"model": "gaussian", "A": 0.0, "B": 1.0}}}, "points.g2.A: 0.0 is not accepted; accepted: a number > 0"),
    ({"points": {"q2": {"model": "quartic", "A": 1.0, "B": 1.0, "lam": -1.0}}}, "points.q2.lam: -1.0 is not accepted; accepted: a number > 0"),
    ({"points": {"q2": {"model": "quartic", "A": 1.0, "B": 1.0, "lam": 0.0}}}, "points.q2.lam: 0.0 is not accepted; accepted: a number > 0"),
    ({"points": {"q2": {"model": "quartic", "A": 1.0, "B": 1.0}}}, "points.q2.lam: missing; model 'quartic' needs: A, B, lam"),
    ({"points": {"q2": {"model": "quartic", "A": 1.0, "B": 1.0, "lamda": 1.0}}}, "points.q2.lamda: unknown key; did you mean 'lam'?"),
    ({"points": {"g2": {"model": "gaussian", "A": 1.0, "B": 1.0, "lam": 1.0}}}, "points.g2.lam: not a parameter of model 'gaussian'"),
    ({"langevin": {"samples": 0}}, "langevin.samples: 0 is not accepted; accepted: an integer >= 1"),
    ({"langevin": {"chian": 3}}, "langevin.chian: unknown key; did you mean 'chains'?"),
    ({"training": {"ensemble": -2}}, "training.ensemble: -2 is not accepted; accepted: an integer >= 1"),
    ({"training": {"steps": 1.5}}, "training.steps: 1.5 is a number, expected an integer >= 1"),
    ({"training": {"batch_size": 1000}}, "training.batch_size: 1000 is not a multiple of levels = 64"),
    ({"sampling": {"sampler": "ddim"}}, "sampling.sampler: 'ddim' is not accepted; accepted: one of"),
]


@pytest.mark.parametrize("change, key", BAD_CONFIGS)
def test_schema_names_the_offending_key(change, key):
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    for section, value in change.items():
        config[section] = {**config.get(section, {}), **value}
    errors = config_errors(config)
    assert any(key in e for e in errors), errors


@pytest.mark.parametrize("change, key", [BAD_CONFIGS[i] for i in (0, 5, 8)])
def test_bad_config_is_rejected_before_any_job(tmp_path, change, key):
    work = scratch_copy(tmp_path / "bad")
    (work / "bad.yaml").write_text(yaml.safe_dump(change))
    proc = toy(work, extra=("bad.yaml",), check=False)
    assert proc.returncode != 0
    assert "invalid config" in proc.stderr and key in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and 'File "' not in proc.stderr, proc.stderr  # the message alone
    assert not (work / "results").exists()
