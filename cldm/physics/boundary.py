"""Is complex Langevin right? Boundary terms, and the decay of the drift magnitude.

Boundary terms (Scherzer, Seiler, Sexty, Stamatescu, PRD 99 (2019) 014512, arXiv:1808.05187, and
PRD 101 (2020) 014501, arXiv:1910.09427). For a holomorphic observable O the Langevin operator is
L O = (d/dz + K) dO/dz with K = -S'(z), so L z^n = n(n-1) z^(n-2) + n z^(n-1) K. CL is right
when <L O> = 0 under its distribution P, which integration by parts gives unless P decays too
slowly; what is left is a boundary term at infinity. It is measured with a cut-off Y on a
distance d(z) (|z| or |Im z|),

    B_O(Y) = < (L O)(z) Theta(Y - d(z)) >,

over a scan of Y: once the bulk of P lies inside the cut, B_O(Y) sits on a plateau, the boundary
term (0 when there is none); for larger Y the noise of the tails takes over (the uncut <L O> is
useless where they are heavy). If the slowest mode of e^(tau L) in the sector of O dominates,
the boundary term predicts the CL error <O>_CL - <O>_exact = -B_O / kappa (`predicted_shift`;
kappa from cldm.physics.relaxation).

Drift decay (Nagata, Nishimura, Shimasaki, PRD 94 (2016) 114515, arXiv:1606.07627): CL is
justified when the distribution of |K| falls off exponentially or faster; a power law is the mark
of the slow decay that makes boundary terms. Power law and exponential are fitted to the largest
|K| by maximum likelihood and each tested by its Kolmogorov-Smirnov distance (Clauset, Shalizi,
Newman, SIAM Rev. 51 (2009) 661).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cldm.physics.actions import Polynomial

# cldm.analysis.stats and scipy.special are imported where they are used: the settings import this
# module's DISTANCES, so every Snakemake start imports it (scipy.special 0.3 s; scipy.stats, 1.4 s, not at all).

if TYPE_CHECKING:  # the settings import this module's DISTANCES
    from cldm.settings.langevin import Langevin

DISTANCES = {"abs": "|z|", "imag": "|Im z|"}
"""Distances d(z) of the cut-off, by their config name."""

BLOCKS = 20
"""Blocks per chain (consecutive samples) whose means the boundary-term series are reduced to
before the Gamma method: the mean is unchanged and the Gamma method accounts for the correlation
left between blocks; it makes the errors of every cut-off and of every difference of cut-offs cheap."""
GROUPS = 256
"""Groups of chains averaged together before the Gamma method (chains are independent: a group
mean has the autocorrelation time of one chain), as many as there are chains if fewer."""
DRIFT_BINS = 60
"""Logarithmic bins of the |K| histogram kept for the figure."""
DRIFT_DECADES = 6
"""Decades of |K| below the largest that the histogram covers."""


def langevin_operator(action: Polynomial, z: np.ndarray, n: int, drift: np.ndarray | None = None) -> np.ndarray:
    """L z^n = n(n-1) z^(n-2) + n z^(n-1) K(z), with K = `drift` if given (computed once by the caller)."""
    k = action.drift(z.copy()) if drift is None else drift
    if n == 1:
        return k.copy()
    out = z * k  # n z^(n-2) ((n-1) + z K), the power by multiplication (complex ** int is slow)
    out += n - 1
    out *= n
    for _ in range(n - 2):
        out *= z
    return out


def distance(z: np.ndarray, kind: str) -> np.ndarray:
    """d(z) of the cut-off: |z| ('abs') or |Im z| ('imag')."""
    if kind == "abs":
        return np.abs(z)
    if kind == "imag":
        return np.abs(z.imag)
    raise ValueError(f"unknown distance {kind!r}; choose one of {list(DISTANCES)}")


def cutoffs(d: np.ndarray, per_decade: int) -> tuple[np.ndarray, np.ndarray]:
    """(q, Y): cut-offs Y_j at the (1 - q_j) quantiles of d, q_j = 10^(-j/per_decade) from j = 1
    while at least one sample lies beyond, then Y = inf (q = 0, the uncut mean)."""
    n = d.size
    q = 10.0 ** (-np.arange(1, int(per_decade * np.log10(n)) + 1) / per_decade)
    ranks = np.unique(np.clip(np.round(n * (1 - q)).astype(np.int64), 0, n - 1))
    y = np.partition(d.ravel(), ranks)[ranks]
    keep = np.concatenate([np.diff(y) > 0, [True]])  # equal cut-offs (ties) once
    y, ranks = y[keep], ranks[keep]
    return np.concatenate([1 - ranks / n, [0.0]]), np.concatenate([y, [np.inf]])


@dataclass(frozen=True)
class Cuts:
    """The cut-offs of a sample set and, per sample, the flat index of its (chain group, block,
    shell) cell: computed once and shared by every observable."""

    q: np.ndarray
    Y: np.ndarray
    cell: np.ndarray
    shape: tuple[int, int, int]
    unit: float

    @classmethod
    def of(cls, d: np.ndarray, per_decade: int) -> Cuts:
        """Cuts of the distances d (chains, samples): shell j holds Y_(j-1) < d <= Y_j."""
        chains, samples = d.shape
        q, y = cutoffs(d, per_decade)
        groups, blocks = min(GROUPS, chains), min(BLOCKS, samples)
        group = np.arange(chains) * groups // chains
        block = np.arange(samples) * blocks // samples
        cell = np.searchsorted(y, d.ravel(), side="left")  # d <= Y_j for every j >= its shell
        cell += ((group[:, None] * blocks + block[None, :]) * y.size).ravel()
        return cls(q, y, cell, (groups, blocks, y.size), d.size / (groups * blocks))

    def series(self, values: np.ndarray) -> np.ndarray:
        """Per group of chains and block, the sums of `values` over the shells <= j, divided by the
        mean number of samples of a (group, block) unit: shape (groups, blocks, cut-offs); its mean
        over groups and blocks is < values Theta(Y_j - d) >."""
        sums = np.bincount(self.cell, weights=values.ravel(), minlength=int(np.prod(self.shape)))
        return np.cumsum(sums.reshape(self.shape), axis=2) / self.unit


def boundary_scan(lo: np.ndarray, cuts: Cuts) -> dict:
    """B(Y) = <lo Theta(Y - d)> over the cut-offs, Re and Im, with errors by the Gamma method over
    chains (of block means of chain groups), and the cumulative block series for differences."""
    from cldm.analysis.stats import mean_errors

    series = {part: cuts.series(getattr(lo, part)) for part in ("real", "imag")}
    (re, re_err, _), (im, im_err, _) = (mean_errors(series[part]) for part in ("real", "imag"))
    return dict(q=cuts.q, Y=cuts.Y, re=re, re_err=re_err, im=im, im_err=im_err, series=series)


def _agreement(series: dict, z: float) -> np.ndarray:
    """A[j, k]: B(Y_k) - B(Y_j) (the shells between) vanishes within z errors, Re and Im."""
    from cldm.analysis.stats import mean_errors

    n = series["real"].shape[2]
    j, k = np.triu_indices(n, 1)
    agree = np.ones((n, n), dtype=bool)
    for part in ("real", "imag"):
        value, err, _ = mean_errors(series[part][:, :, k] - series[part][:, :, j])
        ok = (np.abs(value) <= z * err) | (value == 0)
        agree[j, k] &= ok
        agree[k, j] &= ok
    return agree


def plateau(scan: dict, z: float, uncut: bool, min_cuts: int) -> dict:
    """The plateau of B(Y): a run of consecutive cut-offs in which every two agree within z errors of
    their difference (the shells between them add nothing). Of the longest runs from each start,
    those of at least `min_cuts` cut-offs compete, and the one whose first value is the most precise
    wins (ties: the longer); without any that long, the longest run (ties: at larger Y). With heavy
    tails it lies at intermediate Y (Scherzer et al.) and the tail beyond, whose noisy cut-offs
    agree with each other only through their large errors, loses; where CL samples stay in a
    bounded region it is the last few cut-offs, B(Y) reaching its limit only with the last samples.

    Its value and error: with `uncut` (L O has a variance, `drift_exponent_bound`) those of the
    uncut mean B(Y = inf), whose error is then valid and which carries no residual of the shells
    beyond a cut (up to z errors of them at the plateau's first cut-off); else those of the
    plateau's first cut-off (the uncut mean has no valid error there). `decades`: log10 of the
    ratio of the tail fractions at its ends (the uncut end counted as 1/N)."""
    agree, n = _agreement(scan["series"], z), scan["Y"].size
    err = np.maximum(scan["re_err"], scan["im_err"])
    runs = []
    for start in range(n):
        end = start
        while end + 1 < n and agree[start:end + 1, end + 1].all():
            end += 1
        runs.append((start, end))
    long = [r for r in runs if r[1] - r[0] + 1 >= min_cuts]
    start, end = (min(long, key=lambda r: (err[r[0]], r[0] - r[1])) if long
                  else max(runs, key=lambda r: (r[1] - r[0], r[0])))
    q_end = scan["q"][end] if scan["q"][end] > 0 else scan["q"][max(n - 2, 0)]
    at = n - 1 if uncut else start
    return dict(start=int(start), end=int(end), cuts=int(end - start + 1), Y=_finite(scan["Y"][start]),
                Y_end=_finite(scan["Y"][end]), q=float(scan["q"][start]),
                decades=float(np.log10(scan["q"][start] / q_end)) if q_end > 0 else 0.0,
                value_at="uncut" if uncut else "first cut-off",
                re=float(scan["re"][at]), re_err=float(scan["re_err"][at]), im=float(scan["im"][at]),
                im_err=float(scan["im_err"][at]))


def drift_exponent_bound(degree: int, n: int) -> float:
    """The smallest tail exponent a of P(|K| > u) ~ u^-a for which L z^n has a finite variance
    under a polynomial action of this degree: at large |z|, |K| ~ |z|^(degree-1) and
    |L z^n| ~ n |z|^(n-1) |K| ~ |K|^(1 + (n-1)/(degree-1)), whose variance is finite for
    a > 2 (1 + (n-1)/(degree-1)) (quartic: 8/3 for z^2, 4 for z^4; Gaussian: 2n). Below it the
    uncut <L z^n> has no valid error bar."""
    return 2 * (1 + (n - 1) / (degree - 1))


def boundary_terms(action: Polynomial, z: np.ndarray, settings: Langevin, kappa: complex | None = None,
                   drift: np.ndarray | None = None, tail_exponent: float | None = None) -> list[dict]:
    """For each O = z^n, n in settings.boundary_powers: the scan B_O(Y), its plateau, the verdict
    ('present' where the plateau differs from 0 by more than settings.diagnostic_z errors, else
    'none') and, with kappa, the CL shift the plateau predicts. `tail_exponent` (of the drift,
    `drift_decay`) decides whether L z^n has a variance (`drift_exponent_bound`): then the
    plateau's value is the uncut mean; unknown (None), its first cut-off."""
    k = action.drift(z.copy()) if drift is None else drift
    cuts = Cuts.of(distance(z, settings.boundary_distance), settings.boundary_per_decade)
    degree = len(action.coeffs) - 1
    out = []
    for n in settings.boundary_powers:
        scan = boundary_scan(langevin_operator(action, z, n, k), cuts)
        variance = tail_exponent is not None and tail_exponent > drift_exponent_bound(degree, n)
        p = plateau(scan, settings.diagnostic_z, variance, settings.boundary_per_decade)
        nonzero = max(abs(p["re"]) / p["re_err"] if p["re_err"] > 0 else 0.0,
                      abs(p["im"]) / p["im_err"] if p["im_err"] > 0 else 0.0)
        verdict = "present" if nonzero > settings.diagnostic_z else "none"
        entry = dict(observable=f"z^{n}", n=n, distance=settings.boundary_distance, verdict=verdict, significance=nonzero,
                     plateau=p, scan={key: [_finite(v) for v in scan[key]] for key in ("q", "Y", "re", "re_err", "im", "im_err")})
        if kappa is not None:
            entry["predicted_shift"] = predicted_shift(p, kappa)
        out.append(entry)
    return out


def _finite(v: float) -> float | None:
    """JSON has no infinity: the uncut cut-off Y = inf is written as null."""
    return float(v) if np.isfinite(v) else None


def predicted_shift(plateau: dict, kappa: complex) -> dict:
    """<O>_CL - <O>_exact = -B_O / kappa, with its error, from the plateau B_O.

    g(tau) = <e^(tau L) O>_CL runs from <O>_CL (tau = 0) to <O>_exact (tau -> inf: e^(tau L) O tends
    to the constant <O>_exact, as the exact weight is the left null vector of L), and
    g'(tau) = <L e^(tau L) O>_CL is the boundary term of the evolved observable. If O - <O> is
    dominated by the slowest mode of its symmetry sector, L phi = -kappa phi, then
    g'(tau) = e^(-kappa tau) B_O and <O>_exact - <O>_CL = B_O / kappa. Faster modes make it an
    estimate of the sign and the order of magnitude."""
    b = complex(plateau["re"], plateau["im"])
    shift = -b / kappa
    scale = 1 / abs(kappa)
    return dict(re=shift.real, im=shift.imag, re_err=plateau["re_err"] * scale, im_err=plateau["im_err"] * scale,
                kappa_re=complex(kappa).real, kappa_im=complex(kappa).imag)


def drift_decay(k_abs: np.ndarray, fraction: float, z: float) -> dict:
    """How the distribution of |K| falls off: power law P(|K| > u) ~ u^-a or exponential
    P ~ e^(-u/s), each fitted by maximum likelihood to the n = max(50, fraction N) largest |K|
    above the next one, u_t (a: the Hill estimate; s: the mean excess), and tested against them by
    the Kolmogorov-Smirnov distance sqrt(n) D (fitted-parameter KS, Clauset et al. 2009; heavy tails
    leave a likelihood ratio without a variance, the KS distance is bounded). A fit is rejected
    beyond the Kolmogorov quantile of the two-sided normal tail of z. `decay`: 'power law' or
    'exponential' where only that one fits, else 'both fit' or 'neither fits'. Also the histogram
    of |K| on logarithmic bins (density), for the figure."""
    flat = np.asarray(k_abs, dtype=float).ravel()
    n = min(max(50, int(fraction * flat.size)), flat.size - 1)
    top = np.sort(np.partition(flat, flat.size - n - 1)[flat.size - n - 1:])
    ut, x = top[0], top[1:]
    a = n / np.log(x / ut).sum()
    s = float(np.mean(x - ut))
    ks = {name: _ks(cdf) for name, cdf in (("power law", 1 - (x / ut) ** -a), ("exponential", 1 - np.exp(-(x - ut) / s)))}
    from scipy import special  # kstwobign.isf and norm.sf of scipy.stats, without its 1-s import

    critical = float(special.kolmogi(2 * special.ndtr(-z)))
    fits = [name for name, d in ks.items() if d <= critical]
    decay = fits[0] if len(fits) == 1 else ("both fit" if fits else "neither fits")
    with np.errstate(divide="ignore"):  # |K| = 0 gives -inf, outside the range
        logs = np.log(flat)  # uniform bins in log |K| over DRIFT_DECADES below the largest: a fast histogram
    top_log = float(np.log(top[-1])) + 1e-12
    counts, log_edges = np.histogram(logs, bins=DRIFT_BINS, range=(top_log - DRIFT_DECADES * np.log(10), top_log))
    edges = np.exp(log_edges)
    density = counts / (flat.size * np.diff(edges))
    return dict(decay=decay, exponent=float(a), scale=s, threshold=float(ut), tail_samples=int(n),
                tail_fraction=n / flat.size, ks_power_law=ks["power law"], ks_exponential=ks["exponential"],
                ks_critical=critical, histogram=dict(edges=edges.tolist(), density=density.tolist()))


def _ks(cdf: np.ndarray) -> float:
    """sqrt(n) times the Kolmogorov-Smirnov distance of sorted samples from their fitted cdf values."""
    n = cdf.size
    d = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    return float(np.sqrt(n) * d)
