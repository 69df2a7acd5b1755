import numpy as np
import pytest

from cldm.physics.exact import (
    bessel_applies,
    exact_moments,
    gaussian_cl_covariance,
    gaussian_monomial_means,
    gaussian_moment,
    point_strip,
    quartic_moment_quad,
    quartic_moments,
    quartic_moments_quadrature,
    strip_bounds,
)

# The study's reference numbers, <z^n>/n at sigma = 1 + i, lambda = 1.
QUARTIC_REF = {2: 0.214071 - 0.074005j, 4: 0.105962 - 0.070033j, 6: 0.096741 - 0.097958j, 8: 0.118881 - 0.174170j}
GAUSSIAN_REF = {2: 0.5 - 0.5j, 4: -1.5j, 6: -3.75 - 3.75j, 8: -26.25}


def test_quartic_reference_numbers():
    m = quartic_moments(1 + 1j, 1.0)
    for n, ref in QUARTIC_REF.items():
        assert abs(m[n] / n - ref) < 1e-6


@pytest.mark.parametrize("sigma, lam", [(1 + 1j, 1.0), (1 + 2j, 1.0), (0.5 - 0.3j, 2.0), (2 + 0j, 0.1)])
def test_bessel_moments_agree_with_quadrature(sigma, lam):
    m = quartic_moments(sigma, lam)
    for n in (2, 4, 6, 8):
        assert abs(m[n] - quartic_moment_quad(sigma, lam, n)) < 1e-9 * max(1, abs(m[n]))
    assert m[1] == m[3] == 0


def test_gaussian_moments():
    for n, ref in GAUSSIAN_REF.items():
        assert abs(gaussian_moment(1 + 1j, n) - ref) < 1e-12
    assert exact_moments("gaussian", 1, 1)[5] == 0


def test_gaussian_monomial_means_against_isserlis():
    """Central moments of N(m, C) written out (Isserlis), then shifted by the mean."""
    m, c = np.array([0.3, -0.2]), np.array([[0.8, 0.25], [0.25, 0.3]])
    got = gaussian_monomial_means(m, c, 4)
    (sx, sxy), (_, sy) = c
    want = {(1, 0): m[0], (0, 1): m[1], (2, 0): sx + m[0] ** 2, (1, 1): sxy + m[0] * m[1],
            (3, 0): m[0] ** 3 + 3 * m[0] * sx, (0, 4): 3 * sy**2 + 6 * sy * m[1] ** 2 + m[1] ** 4}
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-13)
    central = gaussian_monomial_means(np.zeros(2), c, 6)
    assert central[(2, 2)] == pytest.approx(sx * sy + 2 * sxy**2, abs=1e-13)
    assert central[(3, 3)] == pytest.approx(9 * sx * sy * sxy + 6 * sxy**3, abs=1e-13)
    assert len(central) == 27


def test_gaussian_cl_distribution_covariance():
    np.testing.assert_allclose(gaussian_cl_covariance(1, 1), [[0.75, -0.25], [-0.25, 0.25]], atol=1e-14)
    # <z^2> = <x^2> - <y^2> + 2i<xy> must equal 1/sigma for any A > 0, B != 0
    for A, B in [(1, 1), (2, -0.5), (0.3, 3)]:
        c = gaussian_cl_covariance(A, B)
        assert abs(c[0, 0] - c[1, 1] + 2j * c[0, 1] - 1 / complex(A, B)) < 1e-12


def test_strip_bounds():
    ym, yp = strip_bounds(1, 1, 1)
    assert ym == pytest.approx(np.sqrt(0.5 * (1 - np.sqrt(2 / 3))))
    assert yp == pytest.approx(np.sqrt(0.5 * (1 + np.sqrt(2 / 3))))
    assert strip_bounds(1, 2, 1) is None  # B^2 >= 3A^2


# sigma = -2 + i, lambda = 1: the study's failing point; the reference value of <z^2>
MINUS_2_PLUS_I_Z2 = 1.497508039769 - 0.783704722260j
QUAD_POINTS = [(1 + 1j, 1.0), (-2 + 1j, 1.0), (-1 + 0j, 1.0), (-4 + 1j, 1.0), (-3 + 1j, 0.5), (1 + 1j, 1 + 1j),
               (1 + 1j, 0.3 + 2j), (-1 + 1j, 1 - 1j), (1 + 3j, 1.0), (0.5 - 0.3j, 2.0)]


@pytest.mark.parametrize("sigma, lam", QUAD_POINTS)
def test_quadrature_moments_pass_their_checks_and_agree_with_adaptive_quadrature(sigma, lam):
    """Gauss-Legendre panels along the real line: doubling the panels changes nothing, the
    Schwinger-Dyson relations (not used in the computation) hold, and scipy's adaptive quad,
    an independent method, gives the same <z^2>, <z^4>."""
    r = quartic_moments_quadrature(sigma, lam)
    assert r["refinement"] < 1e-12 and r["schwinger_dyson"] < 1e-12, r
    m = r["moments"]
    assert abs(sigma * m[2] + lam * m[4] - 1) < 1e-12
    for n in (2, 4):
        assert abs(m[n] - quartic_moment_quad(sigma, lam, n)) < 1e-10 * max(1, abs(m[n]))
    assert m[1] == m[3] == 0


def test_quadrature_reproduces_the_reference_value_at_sigma_minus_2_plus_i():
    assert abs(exact_moments("quartic", -2.0, 1.0, 1.0)[2] - MINUS_2_PLUS_I_Z2) < 1e-12


@pytest.mark.parametrize("sigma, lam", [p for p in QUAD_POINTS if bessel_applies(*p)])
def test_bessel_form_agrees_with_quadrature_where_it_applies(sigma, lam):
    quad = quartic_moments_quadrature(sigma, lam)["moments"]
    bessel = quartic_moments(sigma, lam)
    for n in (2, 4, 6, 8):
        assert abs(bessel[n] - quad[n]) < 1e-10 * max(1, abs(quad[n]))


def test_bessel_form_with_principal_branches_fails_outside_its_domain():
    """For A < 0, or 2 arg sigma - arg lam beyond pi, u = sigma^2/8lam has crossed the cut of
    K_1/4: the principal-branch formula is wrong there, which is why exact_moments switches to
    quadrature."""
    assert not bessel_applies(-2 + 1j, 1.0) and not bessel_applies(1 + 3j, 1 - 1j)
    assert abs(quartic_moments(-2 + 1j, 1.0)[2] - MINUS_2_PLUS_I_Z2) > 0.5
    assert abs(quartic_moments(1 + 3j, 1 - 1j)[2] - quartic_moment_quad(1 + 3j, 1 - 1j, 2)) > 0.1
    assert abs(exact_moments("quartic", 1.0, 3.0, 1.0, lam_im=-1.0)[2] - quartic_moment_quad(1 + 3j, 1 - 1j, 2)) < 1e-10
    assert bessel_applies(1 + 1j, 1.0) and bessel_applies(1 + 1j, 1 - 3j)


def test_complex_lambda_moments_follow_from_exact_moments():
    m = exact_moments("quartic", 1.0, 1.0, 1.0, lam_im=-2.0)
    assert abs(m[2] - quartic_moment_quad(1 + 1j, 1 - 2j, 2)) < 1e-10
    assert abs(m[2] - exact_moments("quartic", 1.0, 1.0, 1.0)[2]) > 0.01


def test_quadrature_refuses_a_point_it_cannot_resolve():
    """sigma = -10 + 10i: exp(-S) oscillates with amplitude e^25 above its integral; float64 loses it."""
    with pytest.raises(ValueError, match="not accurate"):
        quartic_moments_quadrature(-10 + 10j, 1.0)
    with pytest.raises(ValueError, match="Re lambda"):
        quartic_moments_quadrature(1 + 1j, -1.0)


def test_no_strip_where_the_argument_does_not_apply():
    assert point_strip(dict(model="quartic", A=1.0, B=1.0, lam=1.0)) is not None
    assert point_strip(dict(model="quartic", A=-2.0, B=0.1, lam=1.0)) is None
    assert point_strip(dict(model="quartic", A=0.0, B=0.1, lam=1.0)) is None
    assert point_strip(dict(model="quartic", A=1.0, B=0.1, lam=1.0, lam_im=0.5)) is None
    assert point_strip(dict(model="gaussian", A=1.0, B=1.0)) is None
