"""The CL-failure study: its config (bad input refused by key, the study replacing the default points),
the trust table and the figures of the evidence."""

import numpy as np
import pandas as pd
import pytest
import yaml

from cldm.analysis.trust import to_latex, to_markdown, trust_rows
from cldm.config import config_errors, load_study
from cldm.physics.actions import Gaussian
from cldm.physics.diagnostics import cl_diagnostics
from cldm.plots.figures import save
from cldm.plots.trust import boundary_figure, trust_figure
from cldm.settings.langevin import Langevin
from test_boundary import gaussian_cl_samples
from workflow_helpers import REPO, scratch_copy, snakemake

BAD_POINTS = [
    ({"model": "quartic", "A": -1.0, "B": 1.0, "lam": 0.0}, "points.p.lam"),  # A <= 0 and lambda = 0: no integral
    ({"model": "quartic", "A": 1.0, "B": 1.0, "lam": -0.5, "lam_im": 1.0}, "points.p.lam"),  # Re lambda <= 0
    ({"model": "quartic", "A": 1.0, "B": 1.0, "lam": 0.0, "lam_im": 1.0}, "points.p.lam"),  # Re lambda = 0
    ({"model": "gaussian", "A": 1.0, "B": 1.0, "lam_im": 0.5}, "points.p.lam_im: not a parameter of model 'gaussian'"),
    ({"model": "gaussian", "A": -1.0, "B": 1.0}, "points.p.A"),  # the Gaussian integral needs A > 0
    ({"model": "quartic", "A": 1.0, "B": 1.0, "lam": 1.0, "lam_im": "i"}, "points.p.lam_im"),
    ({"model": "quartic", "A": -10.0, "B": 10.0, "lam": 1.0}, "points.p.A: no exact moments"),  # float64 cannot
]


@pytest.mark.parametrize("point, key", BAD_POINTS)
def test_bad_physics_is_refused_naming_the_key(point, key):
    errors = config_errors({"points": {"p": point}, "seed": 1})
    assert any(key in e for e in errors), errors


@pytest.mark.parametrize("point", [{"model": "quartic", "A": -2.0, "B": 1.0, "lam": 1.0},
                                   {"model": "quartic", "A": 0.0, "B": 0.0, "lam": 1.0},
                                   {"model": "quartic", "A": -1.0, "B": 1.0, "lam": 1.0, "lam_im": 1.0}])
def test_negative_A_and_complex_lambda_are_accepted(point):
    assert config_errors({"points": {"p": point}, "seed": 1}) == []


def test_the_study_config_is_valid_and_has_its_points():
    config = yaml.safe_load((REPO / "config/cl-failure.yaml").read_text())
    study = load_study(config)
    assert list(study.points) == ["right_strip", "right_nostrip", "wrong", "lam_right", "lam_wrong"]
    assert study.points["wrong"].physics == dict(model="quartic", A=-2.0, B=1.0, lam=1.0)
    assert study.points["lam_wrong"].physics["lam_im"] == 1.0


@pytest.mark.slow
def test_the_study_replaces_the_default_points_and_bad_physics_stops_before_any_job(tmp_path):
    """--replace-workflow-config: the DAG holds the study's points, not config/config.yaml's."""
    work = scratch_copy(tmp_path / "repo")
    proc = snakemake(work, "--dry-run", "--cores", "1", "--configfile", "config/cl-failure.yaml", "config/test.yaml",
                     "--replace-workflow-config")
    text = proc.stdout + proc.stderr
    assert "results/wrong/cl.npz" in text and "results/lam_wrong/cl.npz" in text
    assert "results/gaussian/" not in text and "results/quartic/" not in text
    (work / "bad.yaml").write_text(yaml.safe_dump({"points": {"g": {"model": "gaussian", "A": 1.0, "B": 1.0, "lam_im": 1.0}}}))
    proc = snakemake(work, "--cores", "1", "--configfile", "config/test.yaml", "bad.yaml", check=False)
    assert proc.returncode != 0 and "points.g.lam_im" in proc.stderr, proc.stderr[-2000:]
    assert not (work / "results").exists()


def moments_frame(exact: complex, cl: complex, cl_err: float, dm: complex, dm_err: float) -> pd.DataFrame:
    rows = []
    for n in (2, 4):
        for est, v, e in (("exact", exact, 0.0), ("CL", cl, cl_err), ("DM", dm, dm_err)):
            rows.append(dict(n=n, estimator=est, re=v.real * n, re_err=e * n, im=v.imag * n, im_err=e * n))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def diagnostics():
    """cl_diagnostics of exact samples of the Gaussian CL density (right) and of another sigma' (wrong)."""
    good = gaussian_cl_samples(1.0, 1.0, 64, 400, 8)
    bad = gaussian_cl_samples(1.3, 0.8, 64, 400, 9)
    physics = dict(model="gaussian", A=1.0, B=1.0)
    return {name: cl_diagnostics(Gaussian(1 + 1j), physics, z, Langevin()) for name, z in (("good", good), ("bad", bad))}


def test_trust_rows_give_pulls_in_units_of_each_estimators_error(diagnostics):
    m = moments_frame(1 + 1j, 1.3 + 0.9j, 0.1, 1.25 + 0.9j, 0.05)
    rows = trust_rows("p", dict(model="quartic", A=1.0, B=1.0, lam=1.0), m, diagnostics["bad"])
    r = rows[0]
    assert r["n"] == 2 and not r["trusted"] and r["boundary_verdict"] == "present"
    assert r["cl_exact_re"] == pytest.approx(3.0) and r["cl_exact_im"] == pytest.approx(-1.0)
    assert r["dm_exact_re"] == pytest.approx(5.0) and r["dm_cl_re"] == pytest.approx(-1.0)
    assert r["cl_minus_exact_re"] == pytest.approx(0.6)
    assert r["boundary_pull_re"] == pytest.approx(r["boundary_re"] / r["boundary_re_err"])
    table = pd.DataFrame(rows + trust_rows("q", dict(model="gaussian", A=1.0, B=1.0), m, diagnostics["good"]))
    md = to_markdown(table)
    assert "| p | 2 | no | +3.0, -1.0 | +5.0, -2.0 | -1.0, +0.0 |" in md and "| q | 2 | yes |" in md
    assert to_latex(table).count(r"\\") == len(table) + 1


def test_figures_of_the_evidence_are_written(diagnostics, tmp_path):
    paths = [str(tmp_path / "b.pdf"), str(tmp_path / "b.png")]
    save(boundary_figure(diagnostics["bad"], "bad"), paths)
    m = moments_frame(1 + 1j, 1.3 + 0.9j, 0.1, 1.25 + 0.9j, 0.05)
    table = pd.DataFrame(trust_rows("p", dict(model="gaussian", A=1.0, B=1.0), m, diagnostics["bad"])
                         + trust_rows("q", dict(model="gaussian", A=1.0, B=1.0), m, diagnostics["good"]))
    save(trust_figure(table), [str(tmp_path / "t.png")])
    for name in ("b.pdf", "b.png", "t.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    assert np.isfinite(table.boundary_pull_re).all()
