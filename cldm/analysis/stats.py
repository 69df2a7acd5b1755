"""Error analysis: Gamma-method autocorrelation, moments with errors, regression control variates, random-effects pooling."""

from __future__ import annotations

import math

import numpy as np


def tau_int(series: np.ndarray, c: float = 6.0) -> float:
    """Integrated autocorrelation time of a real observable measured on several chains.

    series has shape (chains, samples). Gamma(t) is averaged over chains (FFT), and
    tau_int(W) = 1/2 + sum_{t=1}^{W} Gamma(t)/Gamma(0) is summed up to the first window
    W >= c tau_int(W) (Madras-Sokal automatic windowing): `mean_errors` of one observable.
    """
    return float(mean_errors(np.atleast_2d(series)[:, :, None], c)[2][0])


def _windowed_tau(gamma: np.ndarray, c: float) -> float:
    """tau_int(W) = 1/2 + sum_{t=1}^{W} Gamma(t)/Gamma(0) at the first window W >= c tau_int(W)."""
    if gamma[0] == 0:
        return 0.5
    tau = 0.5 + np.cumsum(gamma[1:] / gamma[0])
    window = np.flatnonzero(np.arange(1, gamma.size) >= c * tau)
    return float(tau[window[0]] if window.size else tau[-1])


def mean_error(series: np.ndarray) -> tuple[float, float, float]:
    """Mean, its error sqrt(2 tau_int var / N), and tau_int of a (chains, samples) series."""
    mean, err, tau = mean_errors(np.atleast_2d(series)[:, :, None])
    return float(mean[0]), float(err[0]), float(tau[0])


def mean_errors(series: np.ndarray, c: float = 6.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`mean_error` of each of m observables at once: series of shape (chains, samples, m), one FFT
    for all; returns arrays (mean, error, tau_int) of length m. Gamma(t), t < n, from the power
    spectra of the centred chains zero-padded to 2n (no wrap-around), summed over chains before one
    inverse transform; var = Gamma(0). numpy's FFT, not scipy's (15% faster, but a 0.24 s import
    in every sample job, whose error budget runs this)."""
    mean = series.mean(axis=(0, 1))
    x = np.ascontiguousarray(np.moveaxis(series - mean, 1, 2))  # (chains, m, samples): FFT along contiguous memory
    chains, m, n = x.shape
    f = np.fft.rfft(x, n=2 * n, axis=2)
    del x
    parts = f.view(np.float64)  # (re, im) pairs: |f|^2 summed over chains, squared in place
    np.square(parts, out=parts)
    power = parts.sum(axis=0).reshape(m, -1, 2).sum(axis=2)
    gamma = np.fft.irfft(power, n=2 * n, axis=1)[:, :n] / (chains * np.arange(n, 0, -1))
    tau = np.array([_windowed_tau(gamma[j], c) for j in range(m)])
    return mean, np.sqrt(2 * tau * np.maximum(gamma[:, 0], 0) / (chains * n)), tau


def moments(z: np.ndarray, nmax: int = 8, iid: bool = False) -> list[dict]:
    """<z^n>, n = 1..nmax, with errors.

    z has shape (chains, samples) for Markov-chain data (errors from tau_int), or any shape
    with iid=True for independent samples (tau_int = 1/2).
    """
    z = np.asarray(z)
    estimate = iid_mean_error if iid else mean_error
    rows, zn = [], np.ones_like(z)
    for n in range(1, nmax + 1):
        zn = zn * z
        re, re_err, tau_re = estimate(zn.real)
        im, im_err, tau_im = estimate(zn.imag)
        rows.append(dict(n=n, re=re, re_err=re_err, im=im, im_err=im_err, tau_re=tau_re, tau_im=tau_im))
    return rows


def iid_mean_error(x: np.ndarray) -> tuple[float, float, float]:
    """Mean, its error std / sqrt(N) and tau_int = 1/2 of independent samples (any shape)."""
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)), 0.5


def control_variate_means(f: np.ndarray, g: np.ndarray, g_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E f_j from N independent rows (f_i, g_i), f of shape (N, m), g of shape (N, p) with E g known:
    the means of h_j = f_j - (g - E g) beta_j, beta_j the least-squares fit of f_j on g (regression
    control variates), and their errors std(h_j)/sqrt(N - p). beta from the normal equations of
    the centred controls scaled to unit norm (the condition number is that of their correlation
    matrix, ~1e4 for Gaussian monomials up to degree 6: beta to ~1e-12 of least squares by SVD, at
    a tenth of its cost)."""
    gc = g - g.mean(axis=0)
    norm = np.sqrt(np.einsum("ij,ij->j", gc, gc))
    beta = np.linalg.solve(gc.T @ gc / np.outer(norm, norm), gc.T @ (f - f.mean(axis=0)) / norm[:, None]) / norm[:, None]
    h = f - (g - g_mean) @ beta
    return h.mean(axis=0), h.std(axis=0, ddof=1) * np.sqrt((len(h) - 1) / (len(h) - 1 - g.shape[1]) / len(h))


def random_effects(values: np.ndarray, errors: np.ndarray, data: np.ndarray | None = None,
                   data_errors: np.ndarray | None = None, tau2: float | None = None) -> dict[str, float]:
    """Random-effects pooling of K estimates y_k with within-errors s_k (Paule-Mandel).

    The between-model variance tau^2 solves Q(tau^2) = sum w_k (e_k - e_w)^2 = K - 1 with weights
    w_k = 1/(s_k^2 + tau^2) and e_w their weighted mean (tau^2 = 0 if Q(0) <= K - 1); the pooled
    mean is y_w = sum w_k y_k / sum w_k, its error 1/sqrt(sum w_k). Unlike DerSimonian-Laird's
    one-step moment estimate, this does not shrink tau when the s_k are small and unequal (with
    s_k -> 0 it gives the sample variance of the y_k). With `tau2` given (a spread estimated from
    more than these K estimates, `shared_spread`), it is used as it is.

    Members that learned from independent data with known means d_k and errors v_k: the spread is
    that of the deviations e_k = y_k - d_k, and the data add their own error,
    err^2 = 1/sum w_k + sum w_k^2 v_k^2 / (sum w_k)^2. Without data, e_k = y_k.
    Returns mean, err (combined), err_within (s_k alone), err_data and tau.
    """
    y, s2 = np.asarray(values, float), np.asarray(errors, float) ** 2
    d = np.zeros_like(y) if data is None else np.asarray(data, float)
    v2 = np.zeros_like(y) if data_errors is None else np.asarray(data_errors, float) ** 2
    e, k = y - d, y.size
    if tau2 is None:
        tau2 = _paule_mandel([(e, s2, 1.0)])
    w = 1 / (s2 + tau2)
    err_data = float(np.sqrt(np.sum(w**2 * v2)) / np.sum(w))
    return dict(
        mean=float(np.sum(w * y) / np.sum(w)),
        err=float(np.hypot(1 / np.sqrt(np.sum(w)), err_data)),
        err_within=float(1 / np.sqrt(np.sum(1 / s2))),
        err_data=err_data,
        tau=float(np.sqrt(tau2)),
    )


def shared_spread(deviations: list[np.ndarray], errors: list[np.ndarray], scales: list[float]) -> float:
    """rho of a between-model variance tau_v^2 = rho scale_v shared by G groups (the values of a
    scan) of K estimates each, their deviations e_vk with within-errors s_vk: Paule-Mandel's
    equation summed over the groups,

        sum_v Q_v(rho scale_v) = sum_v (K - 1),   Q_v(tau^2) = sum_k w_vk (e_vk - e_vw)^2,

    w_vk = 1/(s_vk^2 + tau^2) as in `random_effects` (rho = 0 if the left side is at most the right
    at rho = 0). One group: rho scale_1 is random_effects' tau^2. From K = 4 members one group's
    tau^2 has 3 degrees of freedom: it is 0 where four members happen to agree and wide where they
    happen to disagree; G groups give it G (K - 1) (the generalised Q statistic's estimating
    equation, DerSimonian & Kacker, Contemp. Clin. Trials 28 (2007) 105, summed over groups)."""
    if not all(c > 0 for c in scales):
        raise ValueError(f"shared_spread: every group's scale must be > 0, got {list(scales)}")
    return _paule_mandel([(np.asarray(e, float), np.asarray(s, float) ** 2, float(c))
                          for e, s, c in zip(deviations, errors, scales, strict=True)])


def _paule_mandel(groups: list[tuple[np.ndarray, np.ndarray, float]]) -> float:
    """rho solving sum_g Q_g(rho c_g) = sum_g (K_g - 1) over groups (e, s^2, c); 0 if none exceeds."""
    dof = sum(e.size - 1 for e, _, _ in groups)

    def excess_q(rho: float) -> float:
        q = 0.0
        for e, s2, c in groups:
            w = 1 / (s2 + rho * c)
            q += float(np.sum(w * (e - np.sum(w * e) / np.sum(w)) ** 2))
        return q - dof

    if dof < 1 or excess_q(0.0) <= 0:
        return 0.0
    from scipy import optimize  # 0.14 s of every import of this module, needed here alone

    # at rho c_g >= the sample variance of every group, Q_g <= sum (e - mean)^2 / (rho c_g) <= K_g - 1
    top = max(float(np.sum((e - e.mean()) ** 2)) / (e.size - 1) / c for e, _, c in groups if e.size > 1)
    return optimize.brentq(excess_q, 0.0, top, xtol=1e-300, rtol=1e-12)


def format_value(value: float, err: float) -> str:
    """'0.2134(3)': value rounded to the first significant digit of its error."""
    if not np.isfinite(err) or err <= 0:
        return f"{value:.6f}"
    digits = max(0, -math.floor(math.log10(err)))
    e = round(err * 10**digits)
    if e >= 10:  # error rounded up to the next decade
        digits, e = max(0, digits - 1), round(err * 10 ** (digits - 1))
    return f"{value:.{digits}f}({e})"


def format_complex(re: float, re_err: float, im: float, im_err: float) -> str:
    """'0.2134(3) - 0.0740(1)i'."""
    sign = "-" if im < 0 else "+"
    return f"{format_value(re, re_err)} {sign} {format_value(abs(im), im_err)}i"
