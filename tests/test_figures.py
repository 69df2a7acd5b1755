"""Vector fields (curl, density from a score), a learned score against the exact Gaussian, and the
figures and report of the toy workflow."""

import numpy as np
import pytest

from cldm.plots import fields
from cldm.physics.actions import make_action
from cldm.physics.exact import gaussian_cl_matrix
from workflow_helpers import snakemake

GAUSSIAN = dict(model="gaussian", A=1.0, B=1.0)


def plane(xmax=3.5, ymax=2.0, n=101):
    """Cell centres and spacings of a grid over about 4 standard deviations of the Gaussian at A = B = 1."""
    xe, ye, x, y = fields.grid(xmax, ymax, n)
    return x, y, xe[1] - xe[0], ye[1] - ye[0]


@pytest.mark.parametrize("A, B", [(1.0, 1.0), (1.0, 0.5), (2.0, -1.0), (0.5, 3.0)])
def test_curl_of_the_gaussian_score_vanishes_and_of_the_drift_is_minus_2B(A, B):
    """K = -(A + iB)(x + iy): F_x = -Ax + By, F_y = -Bx - Ay, so curl K = dF_y/dx - dF_x/dy = -B - B = -2B.
    The score of P ∝ exp(-v M v) is -2 M v, a gradient: curl 0 (M symmetric). Both fields are linear,
    so the finite differences are exact up to rounding."""
    x, y, dx, dy = plane()
    drift_curl = fields.curl(*fields.vector_field(fields.drift(make_action("gaussian", A, B)), x, y), dx, dy)
    M = gaussian_cl_matrix(A, B)
    score_curl = fields.curl(*fields.vector_field(lambda v: -2 * v @ M, x, y), dx, dy)
    np.testing.assert_allclose(drift_curl, -2 * B, atol=1e-10)
    assert np.abs(score_curl).max() < 1e-10


def test_curl_of_the_quartic_drift():
    """K holomorphic: Cauchy-Riemann gives curl (Re K, Im K) = 2 Im K'(z) = -2 (B + 6 lam x y) for
    K = -z (sigma + lam z^2). Im K is quadratic in x and Re K in y, so the second-order differences
    (one-sided at the edges) are exact up to rounding."""
    A, B, lam = 1.0, 1.0, 1.0
    x, y, dx, dy = plane(2.0, 1.0, 200)
    X, Y = np.meshgrid(x, y)
    c = fields.curl(*fields.vector_field(fields.drift(make_action("quartic", A, B, lam)), x, y), dx, dy)
    np.testing.assert_allclose(c, -2 * (B + 6 * lam * X * Y), atol=1e-9)


def test_curl_of_a_nonlinear_gradient_is_small():
    """grad phi of phi = sin(x y) - x^4/4 - y^4/4 has zero curl; the differences leave O(h^2)."""
    x, y, dx, dy = plane(2.0, 2.0, 200)

    def grad(v):
        a, b = v[:, 0], v[:, 1]
        return np.stack([b * np.cos(a * b) - a**3, a * np.cos(a * b) - b**3], axis=1)

    assert np.abs(fields.curl(*fields.vector_field(grad, x, y), dx, dy)).max() < 1e-2


def test_log_density_from_the_exact_gaussian_score():
    """The trapezoid rule is exact for the linear score -2 M v: log P recovered up to a constant."""
    x, y, dx, dy = plane()
    M = gaussian_cl_matrix(1.0, 1.0)
    logp = fields.log_density_from_score(*fields.vector_field(lambda v: -2 * v @ M, x, y), dx, dy)
    assert np.ptp(logp - fields.gaussian_log_density(M, x, y)) < 1e-10
    p = fields.normalised_density(logp, dx, dy)
    assert abs(p.sum() * dx * dy - 1) < 1e-12
    assert fields.total_variation(p, fields.exact_density(GAUSSIAN, x, y), dx, dy) < 1e-12


def test_log_density_from_a_nonlinear_score():
    """phi = sin(x y) - x^4/4 - y^4/4 from grad phi: the trapezoid error is O(h^2), here < 1e-3."""
    x, y, dx, dy = plane(2.0, 2.0, 200)
    X, Y = np.meshgrid(x, y)

    def grad(v):
        a, b = v[:, 0], v[:, 1]
        return np.stack([b * np.cos(a * b) - a**3, a * np.cos(a * b) - b**3], axis=1)

    logp = fields.log_density_from_score(*fields.vector_field(grad, x, y), dx, dy)
    assert np.ptp(logp - (np.sin(X * Y) - X**4 / 4 - Y**4 / 4)) < 1e-3


@pytest.fixture(scope="module")
def toy_score_model(gaussian_model):
    """The session's score model of the Gaussian CL density at A = B = 1 (conftest.py)."""
    return gaussian_model[0].model


T = 5e-3  # sigma(t) = 0.071 for alpha = 25


def test_density_from_a_learned_score_matches_the_exact_gaussian(toy_score_model):
    """P_theta from the learned score at t = 5e-3 against the exact P(x, y): TV < 0.06.

    Measured over six other data/training seeds of the same model (180k samples, 3000 steps) on this
    grid: TV = 0.012-0.035 (0.009 for this one), max |P_theta - P| / max P = 0.019-0.055 (0.016). Of
    the TV, 0.008 is the noise blur TV(P, P_t), P_t having covariance C + sigma(t)^2; the rest is
    model error. At smaller t a toy model is worse (45k samples, 2000 steps, t = 1e-3: TV =
    0.02-0.11): such small noise levels are rarely drawn in training (log-normal sigma) and the
    network's error enters the score as 1/sigma. The tolerances are about twice the worst measured
    values; swapping s_x and s_y gives TV = 0.49, a wrong sign of s or s_y TV = 1.0.
    """
    x, y, dx, dy = plane()
    s = fields.vector_field(fields.score(toy_score_model, T), x, y)
    p_theta = fields.normalised_density(fields.log_density_from_score(*s, dx, dy), dx, dy)
    p = fields.exact_density(GAUSSIAN, x, y)
    tv = fields.total_variation(p_theta, p, dx, dy)
    print(f"TV(P_theta, P) = {tv:.4f}, max error / peak = {np.abs(p_theta - p).max() / p.max():.4f}")
    assert tv < 0.06
    assert np.abs(p_theta - p).max() < 0.1 * p.max()


def test_learned_score_is_curl_free_unlike_the_drift(toy_score_model):
    """The rms curl of the learned score over P, relative to the drift's |curl| = 2|B| = 2: measured
    0.001-0.007 over six other seeds (0.002 for this one; 0.001-0.025 for smaller toy models); a
    non-gradient field like the drift gives 1."""
    x, y, dx, dy = plane()
    p = fields.exact_density(GAUSSIAN, x, y)
    score_curl = fields.curl(*fields.vector_field(fields.score(toy_score_model, T), x, y), dx, dy)
    drift_curl = fields.curl(*fields.vector_field(fields.drift(make_action("gaussian", 1.0, 1.0)), x, y), dx, dy)
    ratio = np.sqrt((p * score_curl**2).sum() / (p * drift_curl**2).sum())
    print(f"rms curl of the score / of the drift = {ratio:.4f}")
    assert ratio < 0.1


FIGURES = ("distributions", "flows", "density", "moments", "loss", "boundary")


@pytest.fixture(scope="module")
def report(toy_study, tmp_path_factory):
    """The report of the session's toy run (conftest.py), written outside it."""
    html = tmp_path_factory.mktemp("report") / "report.html"
    snakemake(toy_study, "--configfile", "config/test.yaml", "--report", str(html))
    return html


@pytest.mark.slow
@pytest.mark.parametrize("point", ["gaussian", "quartic"])
@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_is_written(toy_study, point, name):
    for ext in ("pdf", "png"):
        assert (toy_study / "results" / point / "figures" / f"{name}.{ext}").stat().st_size > 10_000


@pytest.mark.slow
def test_the_report_builds(report):
    assert report.stat().st_size > 100_000
    text = report.read_text()
    assert all(f"{name}.png" in text for name in FIGURES)
