import numpy as np
import pandas as pd
import pytest

from cldm.analysis.moments import Ensemble, moment_tables, pulls
from cldm.analysis.quality import dm_quality, sliced_wasserstein
from cldm.analysis.split import held_out, member_chains
from cldm.analysis.tables import DAGGER, point_table, to_latex, to_markdown

GAUSS = dict(model="gaussian", A=1.0, B=1.0)


def gaussian_z(shape, seed):
    rng = np.random.default_rng(seed)
    xy = rng.multivariate_normal([0, 0], [[0.75, -0.25], [-0.25, 0.25]], size=shape)
    return xy[..., 0] + 1j * xy[..., 1]


@pytest.fixture(scope="module")
def tables():
    z_dm = gaussian_z(40_000, 2)
    shares = [member_chains(32, 4, k, 0.1)[0] for k in range(4)]
    return moment_tables(GAUSS, gaussian_z((32, 500), 1), {"DM": Ensemble(z_dm, np.repeat(np.arange(4), 10_000), shares)})


def test_moment_table_contract(tables):
    table, budget = tables
    assert list(table.columns) == ["quantity", "n", "estimator", "re", "re_err", "im", "im_err"]
    assert sorted(set(table.estimator)) == ["CL", "DM", "exact"]
    moments, kappas = table[table.quantity == "moment"], table[table.quantity == "cumulant"]
    assert len(moments) + len(kappas) == len(table) == 3 * (8 + 4)
    assert sorted(moments.n.unique()) == list(range(1, 9)) and sorted(kappas.n.unique()) == [2, 4, 6, 8]
    assert set(budget.columns) >= {"quantity", "err_within", "err_data", "err_between", "tau_int"}
    assert len(budget) == 2 * 2 * (8 + 4)  # CL and DM, Re and Im


def test_exact_gaussian_samples_have_small_pulls(tables):
    table, _ = tables
    for est in ("CL", "DM"):
        for quantity in ("moment", "cumulant"):
            p = pulls(table, est, quantity=quantity)
            assert list(p.index) == [2, 4, 6, 8]
            assert (p.abs() < 4).all().all(), p  # independent draws from the exact distribution


def test_split_is_disjoint_and_covers_the_chains():
    shares = [member_chains(100, 4, k, 0.1) for k in range(4)]
    everything = np.concatenate([np.concatenate(s) for s in shares])
    assert sorted(everything) == list(range(100))
    assert len(held_out(100, 4, 0.1)) == sum(len(s[1]) for s in shares)
    with pytest.raises(ValueError, match="too few"):
        member_chains(3, 4, 3, 0.1)


def test_sliced_wasserstein():
    a = np.random.default_rng(0).standard_normal((20000, 2))
    assert sliced_wasserstein(a, a) == 0
    shifted = sliced_wasserstein(a, a + [0.5, 0])  # mean |cos theta| over directions = 2/pi
    assert shifted == pytest.approx(0.5 * 2 / np.pi, rel=0.02)


def test_quality_of_an_exact_sampler():
    q = dm_quality(gaussian_z((64, 500), 3), gaussian_z(100_000, 4), None, seed=0)
    assert q["ratio"] < 1.5 and q["dm_fraction_outside_strip"] is None


def test_tables_mark_untrusted_points(tables):
    table, _ = tables
    good = point_table("g", "gaussian", table, True)
    bad = point_table("q", "quartic", table, False)
    kappas = ["kappa_4", "kappa_6", "kappa_8"]
    assert list(good.quantity) == ["<z^2>", "<z^4>", "<z^6>", "<z^8>", *kappas]
    assert list(bad.quantity) == ["<z^2>/2", "<z^4>/4", "<z^6>/6", "<z^8>/8", *kappas]
    assert DAGGER not in good.CL.iloc[0] and DAGGER in bad.CL.iloc[0] and DAGGER in bad.DM.iloc[0]
    both = pd.concat([good, bad])
    md = to_markdown(both, {"g": "G", "q": "Q"}, "note")
    assert "| <z^2> | 0.500000 - 0.500000i |" in md and md.endswith("note")
    assert "| kappa_4 | 0.000000 + 0.000000i |" in md
    assert r"\begin{tabular}" in to_latex(both, {"g": "G", "q": "Q"}, "")


def test_tables_show_every_estimator_and_its_pulls(tables):
    """A second DM estimator (as an energy model adds) gets its own column and pull columns; the
    pulls are those of `pulls`."""
    table, _ = tables
    dm = table[table.estimator == "DM"].assign(estimator="DM-energy", re=lambda t: t.re + t.re_err)
    t = point_table("g", "gaussian", pd.concat([table, dm]), True)
    assert list(t.columns[3:8]) == ["exact", "CL", "DM", "DM-energy", "pull_CL_re"]
    kappa = t.set_index("quantity").loc["kappa_6"]
    assert kappa["pull_DM-energy_re"] == pytest.approx(kappa.pull_DM_re + 1)
    assert kappa.pull_DM_im == pytest.approx(pulls(table, "DM", quantity="cumulant").loc[6, "im"])
    md = to_markdown(t, {"g": "G"}, "")
    assert "| quantity | exact | CL | DM | DM-energy | pull CL (Re, Im) | pull DM (Re, Im) | pull DM-energy (Re, Im) |" in md
