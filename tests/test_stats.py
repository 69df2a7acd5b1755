import numpy as np
import pytest

from cldm.analysis.control_variates import cv_moments
from cldm.analysis.stats import (control_variate_means, format_complex, format_value, mean_error, moments,
                                 random_effects, shared_spread, tau_int)


def ar1(phi: float, shape: tuple[int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(shape)
    x = np.empty(shape)
    x[:, 0] = e[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, shape[1]):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


def test_tau_int_of_ar1_process():
    phi = 0.8
    exact = (1 + phi) / (2 * (1 - phi))  # 4.5
    assert tau_int(ar1(phi, (64, 4000), 1)) == pytest.approx(exact, rel=0.1)
    assert tau_int(np.random.default_rng(2).standard_normal((8, 5000))) == pytest.approx(0.5, abs=0.05)


def test_error_accounts_for_autocorrelation():
    """Across independent replicas, the spread of the mean matches the quoted error."""
    means, errs = zip(*[mean_error(ar1(0.9, (16, 2000), s))[:2] for s in range(40)])
    ratio = np.std(means) / np.mean(errs)
    assert 0.75 < ratio < 1.3  # chi distribution with 39 dof: ratio within ~ +-0.2 at 3 sigma


def test_iid_moments():
    z = np.random.default_rng(3).standard_normal(100000) * (1 + 0.5j)
    m = moments(z, 4, iid=True)
    assert [r["n"] for r in m] == [1, 2, 3, 4]
    assert abs(m[1]["re"] - 0.75) < 3 * m[1]["re_err"]


def test_random_effects_without_spread_is_inverse_variance_mean():
    r = random_effects(np.array([1.0, 1.0, 1.0]), np.array([0.1, 0.2, 0.2]))
    assert r["tau"] == 0 and r["mean"] == pytest.approx(1.0)
    assert r["err"] == pytest.approx(1 / np.sqrt(100 + 25 + 25)) == pytest.approx(r["err_within"])


def test_random_effects_solves_the_paule_mandel_equation():
    y, s = np.array([0.0, 1.0, 3.0]), np.array([0.5, 0.5, 1.0])
    r = random_effects(y, s)
    w = 1 / (s**2 + r["tau"] ** 2)
    assert (w * (y - (w * y).sum() / w.sum()) ** 2).sum() == pytest.approx(2, rel=1e-9)
    assert r["mean"] == pytest.approx((w * y).sum() / w.sum())
    assert r["err"] == pytest.approx(1 / np.sqrt(w.sum()))
    assert r["err"] > r["err_within"]


def test_random_effects_with_small_unequal_within_errors():
    """Within errors far below the spread (control-variate estimates): tau is the members' standard
    deviation (1.29) and the error that of their mean; DerSimonian-Laird gives tau = 1.12 here."""
    y, s = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1e-4, 1e-3, 1e-3, 1e-2])
    r = random_effects(y, s)
    assert r["tau"] == pytest.approx(np.std(y, ddof=1), rel=1e-3)
    assert r["err"] == pytest.approx(np.std(y, ddof=1) / 2, rel=1e-3)


def test_random_effects_coverage_on_synthetic_ensembles():
    """Members with a true between-model spread: the pooled error covers the truth ~68% of the time."""
    rng = np.random.default_rng(4)
    k, s, spread, hits = 8, 0.1, 0.3, 0
    for _ in range(2000):
        y = rng.normal(0, spread, k) + rng.normal(0, s, k)
        r = random_effects(y, np.full(k, s))
        hits += abs(r["mean"]) < r["err"]
    assert 0.6 < hits / 2000 < 0.75  # nominal 0.68; with K = 8 the estimated tau makes it slightly anti-conservative


def test_random_effects_of_members_that_track_their_data():
    """Each member reproduces its own data (y_k = d_k + tiny noise): the spread of the y_k is the
    data's, the error is that of the pooled data, sum w^2 v^2 / (sum w)^2, not the 3-dof spread."""
    d, v = np.array([0.1, -0.2, 0.3, 0.0]), np.full(4, 0.2)
    r = random_effects(d + [1e-4, -1e-4, 0, 2e-4], np.full(4, 1e-4), d, v)
    assert r["mean"] == pytest.approx(d.mean(), abs=1e-4)
    assert r["err_data"] == pytest.approx(0.1) and r["err"] == pytest.approx(0.1, rel=1e-3)
    assert r["tau"] < 2e-4


def test_random_effects_with_data_coverage_on_synthetic_ensembles():
    """y_k = d_k + e_k, d_k ~ N(0, v^2) known errors, e_k ~ N(0, tau^2 + s^2): 68% coverage."""
    rng = np.random.default_rng(5)
    k, s, v, spread, hits = 8, 0.05, 0.2, 0.1, 0
    for _ in range(2000):
        d = rng.normal(0, v, k)
        r = random_effects(d + rng.normal(0, spread, k) + rng.normal(0, s, k), np.full(k, s), d, np.full(k, v))
        hits += abs(r["mean"]) < r["err"]
    assert 0.63 < hits / 2000 < 0.73


def test_a_shared_spread_of_one_group_is_its_paule_mandel_tau():
    rng = np.random.default_rng(6)
    e, s = rng.normal(0, 1.0, 4), rng.uniform(0.1, 0.3, 4)
    assert shared_spread([e], [s], [2.5]) * 2.5 == pytest.approx(random_effects(e, s)["tau"] ** 2, rel=1e-9)
    assert shared_spread([np.zeros(4)], [s], [1.0]) == 0
    with pytest.raises(ValueError, match="scale must be > 0"):
        shared_spread([e, e], [s, s], [1.0, 0.0])


def test_a_shared_spread_recovers_the_spread_of_groups_of_different_scales():
    """40 groups of 4 with tau_v^2 = rho c_v, the c_v over a factor 100 and the within errors half
    of tau_v: rho within 4 of its standard errors, sqrt(2 / dof) (1 + s^2 / tau^2) relative, dof = 120."""
    rng = np.random.default_rng(7)
    rho, c = 4.0, np.geomspace(0.01, 1.0, 40)
    s = [np.full(4, 0.5 * np.sqrt(rho * cv)) for cv in c]
    e = [rng.normal(3 * cv, np.sqrt(rho * cv), 4) + rng.normal(0, sv) for cv, sv in zip(c, s)]
    tolerance = 4 * np.sqrt(2 / 120) * (1 + 0.25)
    assert shared_spread(e, s, list(c)) == pytest.approx(rho, rel=tolerance)


def test_a_spread_shared_by_a_scans_values_covers_where_four_members_alone_do_not():
    """Scans of 10 values, 4 members each with a true spread tau = 2 s: the error of the pooled mean
    with the spread shared by the values covers the truth at the nominal 68%; with each value's own
    Paule-Mandel tau (3 degrees of freedom, 0 where the members happen to agree) clearly less."""
    rng = np.random.default_rng(8)
    s, tau, hits = np.full(4, 0.1), 0.2, {"shared": 0, "own": 0}
    for _ in range(300):
        e = [rng.normal(0, tau, 4) + rng.normal(0, 0.1, 4) for _ in range(10)]
        rho = shared_spread(e, [s] * 10, [1.0] * 10)
        for ev in e:
            for name, pooled in (("shared", random_effects(ev, s, tau2=rho)), ("own", random_effects(ev, s))):
                hits[name] += abs(pooled["mean"]) < pooled["err"]
    shared, own = hits["shared"] / 3000, hits["own"] / 3000
    assert 0.65 < shared < 0.71 and own < shared - 0.05, hits


@pytest.mark.parametrize(
    "value, err, text",
    [(0.21341, 0.00031, "0.2134(3)"), (0.4259, 0.0006, "0.4259(6)"), (1.234, 0.96, "1(1)"), (12.3, 3.2, "12(3)"),
     (0.5, 0.0, "0.500000"), (-0.07401, 0.000096, "-0.0740(1)")],
)
def test_format_value(value, err, text):
    assert format_value(value, err) == text


def test_format_complex():
    assert format_complex(0.2134, 3e-4, -0.074, 1e-4) == "0.2134(3) - 0.0740(1)i"


def test_control_variate_is_unbiased_and_its_error_is_the_residual_spread():
    """f = g + e with E g = 2 known: the estimate covers E f = 2 and its error is std(e)/sqrt(N);
    across replicas the spread of the estimates matches the quoted error."""
    rng = np.random.default_rng(5)
    means, errs = [], []
    for _ in range(40):
        g = 2 + rng.standard_normal((20000, 1))
        f = g + 0.1 * rng.standard_normal((20000, 1))
        m, e = control_variate_means(f, g, np.array([2.0]))
        means.append(m[0])
        errs.append(e[0])
    assert np.mean(errs) == pytest.approx(0.1 / np.sqrt(20000), rel=0.05)
    assert abs(np.mean(means) - 2) < 3 * np.mean(errs) / np.sqrt(40)
    assert 0.75 < np.std(means) / np.mean(errs) < 1.3


def test_several_control_variates_remove_what_each_explains():
    """f = g + g^2 + e, g ~ N(0, 1): with g alone the residual keeps g^2 - 1 (std sqrt 2); with
    (g, g^2), whose means 0 and 1 are known, only e (std 0.1) is left, and E f = 1 is covered."""
    rng = np.random.default_rng(8)
    g = rng.standard_normal(50000)
    f = (g + g**2 + 0.1 * rng.standard_normal(50000))[:, None]
    m1, e1 = control_variate_means(f, g[:, None], np.array([0.0]))
    m2, e2 = control_variate_means(f, np.stack([g, g**2], axis=1), np.array([0.0, 1.0]))
    assert e1[0] == pytest.approx(np.sqrt(2 / 50000), rel=0.05)
    assert e2[0] == pytest.approx(0.1 / np.sqrt(50000), rel=0.05)
    assert abs(m2[0] - 1) < 3 * e2[0]


def test_cv_moments_with_an_exact_reference():
    """z = z_ref + small noise, z_ref = x + iy Gaussian with known law: the plain estimate's error
    shrinks to the noise's."""
    rng = np.random.default_rng(6)
    cov = np.array([[1.0, 0.3], [0.3, 0.25]])
    xy = rng.multivariate_normal([0.2, -0.1], cov, size=50000)
    z_ref = xy[:, 0] + 1j * xy[:, 1]
    z = z_ref + 0.01 * (rng.standard_normal(50000) + 1j * rng.standard_normal(50000))
    cv = cv_moments(z, z_ref, np.array([0.2, -0.1]), cov, nmax=2)
    plain = moments(z, 2, iid=True)
    want = (0.2 - 0.1j) ** 2 + cov[0, 0] - cov[1, 1] + 2j * cov[0, 1]
    assert abs(cv[1]["re"] - want.real) < 3 * cv[1]["re_err"] and abs(cv[1]["im"] - want.imag) < 3 * cv[1]["im_err"]
    assert cv[1]["re_err"] < plain[1]["re_err"] / 20 and cv[1]["im_err"] < plain[1]["im_err"] / 20
