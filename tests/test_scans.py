"""Parameter scans: the config's scans (schema, checks, values), the conditioned score model on a
case with an exact answer, the scan's analysis, and its DAG's rerun granularity."""

import copy
import subprocess

import numpy as np
import pytest
import torch
import yaml

from cldm.analysis.moments import NMAX
from cldm.analysis.scan import (carried_data, data_weights, frame, scan_table, shared_tau2, summary, to_latex,
                                 value_rows)
from cldm.analysis.tables import DAGGER
from cldm.analysis.stats import random_effects
from cldm.config import config_errors, load_study
from cldm.dm.checkpoint import load_model, save_model
from cldm.dm.conditioned import training_rows
from cldm.dm.sample import generate
from cldm.dm.train import train
from cldm.physics.exact import gaussian_cl_covariance
from cldm.settings.scan import ConditionedTraining
from helpers import pull_report
from workflow_helpers import PROFILE, REPO, SNAKEMAKE, job_stats, scratch_copy

SCAN = {"model": "quartic", "A": 1.0, "lam": 1.0, "B": {"train": [0.25, 0.5, 1.0, 1.5], "test": [0.75, 1.25, 2.0]}}


def config(**scan) -> dict:
    return {"points": {"q": {"model": "quartic", "A": 1.0, "B": 1.0, "lam": 1.0}}, "seed": 1,
            "scans": {"bs": {**copy.deepcopy(SCAN), **scan}}}


# ---- config ------------------------------------------------------------------------------------


def test_the_scan_config_of_the_study_is_valid_and_resolves():
    """config/scan.yaml on top of config/config.yaml: 7 training values in [0.25, 1.5], test values
    between them and one beyond, each CL value an internal point of the study."""
    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    cfg.update(yaml.safe_load((REPO / "config/scan.yaml").read_text()))
    study = load_study(cfg)
    spec = study.scans["bscan"]
    train, test = spec.role("train"), spec.role("test")
    assert 6 <= len(train) <= 8 and 3 <= len(test) <= 5 and len(spec.role("extrapolation")) == 1
    assert min(v.values[0] for v in train) == 0.25 and max(v.values[0] for v in train) == 1.5
    assert all(v.physics["B"] ** 2 < 3 * v.physics["A"] ** 2 for v in spec.values)  # inside the strip region
    assert set(study.scan_points) == {spec.point(v) for v in spec.values}
    assert set(study.points) == {"gaussian", "quartic"}  # the config's points stay the config's


def test_values_roles_labels_and_grid():
    spec = load_study(config(grid=5, baseline=True)).scans["bs"]
    assert [(v.label, v.role, v.in_range) for v in spec.values] == [
        ("B0.25", "train", True), ("B0.5", "train", True), ("B1.0", "train", True), ("B1.5", "train", True),
        ("B0.75", "test", True), ("B1.25", "test", True), ("B2.0", "extrapolation", False)]
    assert [v.values[0] for v in spec.grid] == [0.25, 0.6875, 1.125, 1.5625, 2.0]
    assert [v.in_range for v in spec.grid] == [True, True, True, False, False]
    assert spec.point(spec.values[4]) == "scans/bs/test/B0.75"
    assert spec.values[4].physics == {"model": "quartic", "A": 1.0, "lam": 1.0, "B": 0.75}
    assert [v.label for v in spec.baseline()] == ["B0.5", "B1.0", "B1.5"]  # nearest to 0.75, 1.25 (ties: lower), 2.0
    assert spec.sampling_at(spec.grid[0]).samples == spec.scan.grid_samples
    assert spec.sampling_at(spec.values[0]).samples == spec.sampling.samples


def test_stage_sections_resolve_defaults_then_global_then_the_scans_own():
    cfg = config(training={"steps": 7, "cond_dim": 8}, seed=5)
    cfg["training"] = {"steps": 5, "lr": 0.01}
    study = load_study(cfg)
    spec = study.scans["bs"]
    assert spec.training == ConditionedTraining(steps=7, lr=0.01, cond_dim=8) and spec.seed == 5
    point = study.scan_points["scans/bs/train/B0.5"]
    assert point.training == spec.training.plain() and point.seed == 5  # the per-point comparison's settings


def two_varying() -> dict:
    return config(lam={"train": [0.5, 1.0, 2.0, 2.5], "test": [0.75, 1.5, 3.0]})


def test_several_varying_parameters_pair_up_by_position():
    spec = load_study(two_varying()).scans["bs"]
    assert spec.varying == ("B", "lam")
    assert [v.label for v in spec.values][:2] == ["B0.25_lam0.5", "B0.5_lam1.0"]
    assert [v.role for v in spec.values][4:] == ["test", "test", "extrapolation"]


BAD_SCANS = [
    (dict(B={"train": [0.25, 0.5], "test": [0.5]}),
     "scans.bs.B.test.0: 0.5 is also a training value (train: [0.25, 0.5]); test values must differ"),
    (dict(B=1.0), "scans.bs: no parameter varies (fixed: A, lam, B)"),
    (dict(B={"test": [1.0]}), "scans.bs.B.train: missing; scans.bs.B needs: train"),
    (dict(B={"train": [], "test": [1.0]}), "scans.bs.B.train: [] holds 0 value(s): a varying parameter needs at least"),
    (dict(B={"train": [0.5], "test": [1.0]}), "scans.bs.B.train: [0.5] holds 1 value(s): a varying parameter needs"),
    (dict(B={"train": [0.5, 0.5, 1.0]}), "scans.bs.B.train.1: 0.5 appears twice in train"),
    (dict(B={"train": [0.5, float("nan")]}), "scans.bs.B.train.1: .nan is not a finite number"),
    (dict(B={"train": [0.5, 1.0], "tset": [0.7]}), "scans.bs.B.tset: unknown key; did you mean 'test'?"),
    (dict(grdi=3), "scans.bs.grdi: unknown key; did you mean 'grid'?"),
    (dict(B=1.0, lam={"train": [1.0, -1.0]}), "scans.bs.lam.train.1: -1.0 is not accepted; accepted: a number > 0"),
    (dict(lam={"train": [1.0, 2.0]}), "scans.bs.B.train: 4 values, but lam.train has 2"),
    (dict(lam={"train": [1.0, 1.0, 1.0, 1.0], "test": [1.0, 1.0, 1.0]}),
     "scans.bs.lam.train: a single distinct value 1.0: at least two are needed"),
    (dict(model="chain", L=4), "scans.bs.model: 'chain' is not accepted; accepted: one of 'gaussian', 'quartic'"),
    (dict(model="gaussian"), "scans.bs.lam: not a parameter of model 'gaussian'"),
    (dict(training={"cond_dim": 0}), "scans.bs.training.cond_dim: 0 is not accepted; accepted: an integer >= 1"),
    (dict(training={"levels": 3}),
     f"scans.bs.training.batch_size: {ConditionedTraining().batch_size} is not a multiple of levels = 3"),
    (dict(grid=1), "scans.bs.grid: 1 is not accepted; accepted: an integer >= 2"),
]


@pytest.mark.parametrize("change, message", BAD_SCANS)
def test_a_bad_scan_is_refused_naming_the_key(change, message):
    errors = config_errors(config(**change))
    assert any(message in e for e in errors), errors


def test_a_point_may_not_take_the_scans_directory():
    cfg = config()
    cfg["points"]["scans"] = cfg["points"].pop("q")
    assert any(e.startswith("points.scans: the name of the scans' directory") for e in config_errors(cfg))


# ---- analysis -----------------------------------------------------------------------------------


def test_data_weights_interpolate_between_neighbours_and_extrapolate_from_the_ends():
    train = np.array([[0.5], [1.5], [1.0]])  # any order
    assert np.allclose(data_weights(train, [1.0]), [0, 0, 1])
    assert np.allclose(data_weights(train, [0.75]), [0.5, 0, 0.5])
    assert np.allclose(data_weights(train, [1.4]), [0, 0.8, 0.2])
    assert np.allclose(data_weights(train, [2.0]), [0, 2, -1])  # beyond the range: the two nearest, extrapolated
    assert np.allclose(data_weights(np.array([[0.0, 0.0], [1.0, 10.0]]), [0.3, 9.0]), [0, 1])  # several: the nearest


def test_an_untrusted_cl_run_marks_its_cl_cell_and_the_cdm_cells_that_draw_on_it():
    """CL at the training value B = 1.5 not trusted: its CL and cDM cells carry the dagger, and so do
    the cDM cells of the values whose data part is carried over from it (B = 1.25 between 1.0 and
    1.5, B = 2.0 extrapolated from them); B = 0.75 (from 0.5 and 1.0) and the other training values
    do not, nor does any cell when every run is trusted."""
    values = [("B0.5", "train", 0.5), ("B1.0", "train", 1.0), ("B1.5", "train", 1.5), ("B0.75", "test", 0.75),
              ("B1.25", "test", 1.25), ("B2.0", "extrapolation", 2.0), ("B0.5", "grid", 0.5)]
    rows = [dict(label=label, role=role, in_range=b <= 1.5, A=1.0, B=b, lam=1.0, quantity="moment", n=2, estimator=est,
                 re=0.4, re_err=0.0 if est == "exact" else 0.01, im=-0.1, im_err=0.0 if est == "exact" else 0.01)
            for label, role, b in values for est in ("exact", "CL", "cDM") if not (role == "grid" and est == "CL")]
    table = frame(rows, ["A", "B", "lam"])
    marked = scan_table(table, ["B"], {"B1.5": ["a reason"]}, ns=(2,)).set_index("label")
    assert [label for label in marked.index if marked.CL[label].endswith(DAGGER)] == ["B1.5"]
    assert sorted(label for label in marked.index if marked.cDM[label].endswith(DAGGER)) == ["B1.25", "B1.5", "B2.0"]
    assert r"^\dagger" in to_latex(marked.reset_index(), "t")
    clean = scan_table(table, ["B"], {}, ns=(2,))
    assert not clean[["CL", "cDM"]].apply(lambda c: c.str.contains(DAGGER)).any().any()


def test_the_data_part_at_a_test_value_is_the_interpolated_data_with_its_error():
    """Two training values' member data (K = 2, NMAX = 1) carried to the midpoint: means average, errors
    add in quadrature with weights 1/2."""
    s1 = (None, {"re": np.array([[1.0], [2.0]]), "im": np.zeros((2, 1))}, {"re": np.full((2, 1), 0.2), "im": np.ones((2, 1))})
    s2 = (None, {"re": np.array([[3.0], [4.0]]), "im": np.zeros((2, 1))}, {"re": np.full((2, 1), 0.2), "im": np.ones((2, 1))})
    d, v = carried_data(np.array([0.5, 0.5]), [s1, s2])
    assert np.allclose(d["re"], [[2.0], [3.0]]) and np.allclose(v["re"], 0.2 / np.sqrt(2))


def test_members_that_happen_to_agree_at_a_value_get_the_spread_of_the_scan():
    """Six values, four members each, within errors s and a spread 3 s of the members around their
    data, except at value 2, where the members agree exactly. Each value's own Paule-Mandel tau
    would be 0 there; the scan's spread gives it the others' tau^2 (> 0), in units of the members'
    variance per sample: value 3, with 4x the samples and half the within errors, gets the same."""
    rng = np.random.default_rng(9)
    members, data, counts = [], [], []
    for v in range(6):
        n = 400_000 if v == 3 else 100_000
        s = 1e-3 * np.sqrt(1e5 / n)
        d = {part: rng.normal(0, 1, (4, NMAX)) for part in ("re", "im")}
        y = {part: d[part] + (0 if v == 2 else rng.normal(0, 3e-3, (4, NMAX))) for part in ("re", "im")}
        members.append([[{"re": y["re"][k, i], "re_err": s, "im": y["im"][k, i], "im_err": s} for i in range(NMAX)]
                        for k in range(4)])
        data.append(d)
        counts.append(np.full(4, n))
    tau2 = shared_tau2(members, data, counts)
    for part in ("re", "im"):
        at = np.array([t[part] for t in tau2])  # (values, NMAX)
        assert np.allclose(at, at[0], rtol=1e-9, atol=0) and np.all(at > 0), at
        own = random_effects(np.array([m[0][part] for m in members[2]]), np.full(4, 1e-3), data[2][part][:, 0])
        assert own["tau"] == 0


# ---- the conditioned model on Gaussian data: exact CL covariance across B --------------------------

TRAIN_B = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0)
UNSEEN_B = (1.1, 1.9)  # where a model blind to B (the mixture) is far off
ENSEMBLE = 2
N_DATA, N_SAMPLES = 10_000, 10_000
SMALL_COND = ConditionedTraining(steps=800, batch_size=512, levels=32, warmup=50, lr=3e-3, ema=0.99, log_every=800,
                                 hidden=(64, 64), embed_dim=32, cond_dim=16)
ENTRIES = ((0, 0), (0, 1), (1, 1))


def exact_data(b: float, n: int, seed: int) -> np.ndarray:
    """n exact samples (x, y) of the Gaussian model's CL density at sigma = 1 + iB."""
    return np.random.default_rng(seed).multivariate_normal([0, 0], gaussian_cl_covariance(1.0, b), size=n)


def covariance(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """<x x>, <x y>, <y y> of zero-mean samples and their i.i.d. errors."""
    prods = np.stack([xy[:, i] * xy[:, j] for i, j in ENTRIES], axis=1)
    return prods.mean(0), prods.std(0, ddof=1) / np.sqrt(len(xy))


@pytest.fixture(scope="module")
def gaussian_scan(tmp_path_factory):
    """An ensemble of conditioned models, each trained on its own exact Gaussian CL samples at the
    training values of B (A = 1), saved and loaded back; with each member's data covariances."""
    members, data = [], []
    for k in range(ENSEMBLE):
        xy = {b: exact_data(b, N_DATA, 100 * k + i) for i, b in enumerate(TRAIN_B)}
        val = np.concatenate([training_rows(exact_data(b, 2000, 1000 + i), [b]) for i, b in enumerate(TRAIN_B)])
        rows = np.concatenate([training_rows(xy[b], [b]) for b in TRAIN_B])
        result = train(rows, val, SMALL_COND, seed=k, family="conditioned")
        path = str(tmp_path_factory.mktemp("cdm") / f"member{k}.pt")
        save_model(result.model, SMALL_COND, path, {"member": k}, family="conditioned")
        members.append(load_model(path))
        data.append([covariance(xy[b]) for b in TRAIN_B])
    return members, data


def pooled_covariance(gaussian_scan, b: float) -> tuple[np.ndarray, np.ndarray]:
    """The ensemble's covariance at B: random effects over the members' deviations from their data
    carried to B (cldm.analysis.scan.data_weights), with B's own spread (the scan's moments share
    theirs over the values in range, cldm.analysis.scan.shared_tau2; here two values stand alone)."""
    members, data = gaussian_scan
    w = data_weights(np.array(TRAIN_B)[:, None], [b])
    est = []
    for k, model in enumerate(members):
        m = model.at([b])
        xy = m.destandardize(generate(m, m.sde, N_SAMPLES, 2, "ei", 25, seed=7 + k, batch=5000).x).double().numpy()
        est.append(covariance(xy))
    d = np.array([sum(wj * data[k][j][0] for j, wj in enumerate(w)) for k in range(len(members))])
    v = np.array([np.sqrt(sum(wj**2 * data[k][j][1] ** 2 for j, wj in enumerate(w))) for k in range(len(members))])
    pooled = [random_effects([e[0][i] for e in est], [e[1][i] for e in est], d[:, i], v[:, i]) for i in range(3)]
    return np.array([p["mean"] for p in pooled]), np.array([p["err"] for p in pooled])


@pytest.mark.parametrize("b", UNSEEN_B)
def test_conditioned_model_gives_the_exact_cl_covariance_at_an_unseen_b(gaussian_scan, b):
    """At a value of B between the training values, never seen, the pooled covariance of the samples
    matches the exact CL covariance within 3 error bars, while a model blind to B (the training
    values' mixture) would miss it by many."""
    value, err = pooled_covariance(gaussian_scan, b)
    exact = gaussian_cl_covariance(1.0, b)[tuple(zip(*ENTRIES))]
    mixture = np.mean([gaussian_cl_covariance(1.0, t)[tuple(zip(*ENTRIES))] for t in TRAIN_B], axis=0)
    rows = [(f"C_{i}{j}", v, e, s) for (i, j), v, e, s in zip(ENTRIES, value, exact, err)]
    assert np.all(np.abs(value - exact) < 3 * err), pull_report(rows)
    assert np.max(np.abs(mixture - exact) / err) > 5, (mixture, exact, err)


def test_the_conditioned_model_at_fixed_parameters_is_a_closure_with_the_score_net_interface(gaussian_scan):
    model = gaussian_scan[0][0]
    u, t = torch.randn(6, 2), torch.tensor(0.3)
    at = model.at([1.5])
    p = model.normalise(torch.tensor([[1.5]]))
    assert torch.allclose(at(u, t), model(u, t, p.expand(6, 1)), atol=1e-6)
    assert torch.allclose(at(u, t)[:3], model(u[:3], t, p))
    x = at.destandardize(u)
    assert torch.allclose(at.standardize(x), u, atol=1e-5)
    assert float(model.normalise(torch.tensor([TRAIN_B[0]]))) == -1 and float(model.normalise(torch.tensor([TRAIN_B[-1]]))) == 1


# ---- the scan's DAG ------------------------------------------------------------------------------

TOY_SCAN = """\
scans:
  bs:
    model: quartic
    A: 1.0
    lam: 1.0
    B: {train: [0.5, 1.0, 1.5], test: [0.75, 2.0]}
    grid: 4
    grid_samples: 1000
    baseline: true
"""


def snake(work, *args, check=True):
    """snakemake ARGS --configfile config/test.yaml scan.yaml in the scratch copy `work`."""
    proc = subprocess.run([*SNAKEMAKE, *args, "--workflow-profile", PROFILE, "--cores", "2", "--configfile",
                           "config/test.yaml", "scan.yaml"], cwd=work, capture_output=True, text=True, timeout=900,
                          env={**__import__("os").environ, "PYTHONPATH": str(work)})
    assert not check or proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def jobs(proc) -> dict[str, int]:
    """Jobs of a dry run, by rule (without the target rules)."""
    return {r: c for r, c in job_stats(proc.stdout + proc.stderr).items() if r not in ("all", "scans")}


ONE_TEST_VALUE = {"langevin": 1, "scan_sample": 1, "scan_moments": 1, "scan_tables": 1, "scan_figure": 1}


@pytest.mark.slow
def test_a_toy_scan_end_to_end(tmp_path):
    """The toy scan through Snakemake: every output, test values marked unseen in every output of
    theirs, the table's columns and roles; then a new test value (whose nearest training value
    already has its per-point comparison) reruns its CL and sampling only, then the scan's tables and
    figure (with the recorded parameters of every job; no training), and a training setting of the
    scan retrains without rerunning CL. The scan's values are not the study's points: the study's
    one-point DAG is unchanged."""
    work = scratch_copy(tmp_path / "run")
    (work / "scan.yaml").write_text(TOY_SCAN)
    snake(work, "scans")
    root = work / "results/scans/bs"
    for name in ("moments.csv", "moment_errors.csv", "table.csv", "table.md", "table.tex", "summary.json",
                 "figures/moments.pdf", "figures/moments.png", "model/member0.pt", "train/B0.5/cl.npz",
                 "test/B0.75/cl.npz", "test/B0.75/cl_diagnostics.json", "extrapolation/B2.0/cdm.npz",
                 "grid/B0.5/cdm.npz", "train/B0.5/moments.csv"):
        assert (root / name).stat().st_size > 0, name
    from cldm.io import load_samples, read_csv  # noqa: PLC0415

    assert load_samples(str(root / "test/B0.75/cdm.npz"))["provenance"]["params"]["seen"] is False
    assert load_samples(str(root / "train/B1.0/cdm.npz"))["provenance"]["params"]["seen"] is True
    table = read_csv(str(root / "moments.csv"))
    assert list(table.columns[:6]) == ["label", "role", "in_range", "A", "B", "lam"]
    assert set(table.role) == {"train", "test", "extrapolation", "grid"}
    assert set(table[table.role == "test"].estimator) == {"exact", "CL", "cDM", "nearest"}
    assert set(table[table.role == "grid"].estimator) == {"exact", "cDM"}
    assert not table[table.role == "extrapolation"].in_range.any()
    assert jobs(snake(work, "scans", "--dry-run")) == {}
    (work / "scan.yaml").write_text(TOY_SCAN.replace("test: [0.75, 2.0]", "test: [0.75, 2.0, 0.6]"))
    assert jobs(snake(work, "scans", "--dry-run")) == ONE_TEST_VALUE
    planned = jobs(snake(work, "--dry-run"))  # the default target: the study's points and the scans
    assert planned["langevin"] == 3 and planned["train"] == 2 * 2, planned  # the 2 points; the scan as before
    (work / "scan.yaml").write_text(TOY_SCAN + f"    training: {{lr: {3 * ConditionedTraining().lr!r}}}\n")  # not the default
    planned = jobs(snake(work, "scans", "--dry-run"))
    assert "langevin" not in planned and planned["scan_train"] == 2 and planned["train"] == 4, planned
