"""How many DM samples a member needs: its sampling error against the error of the data it learned.

A member's estimate of <z^n> carries two errors the pooling (`cldm.analysis.moments`) combines: the
sampling error s of its N samples and the CL error v of its training data. Past s << v more samples
buy nothing, so N is chosen per member to make s of Re and Im <z^2> a fraction `ratio` of v: s falls
as 1/sqrt(N), and a pilot of N_0 samples measures it,

    N = N_0 max over Re, Im of (s_0 / (ratio v))^2,

rounded up to whole batches, at least N_0, at most a cap. With the control variates (samplers with
a reference path) s is the error of `cv_moments`, as in the pooling; the pilot's samples are the
first of the member's stream, so the same config gives the same N and the same samples.
"""

from __future__ import annotations

import math

import numpy as np

from cldm.analysis.control_variates import cv_moments
from cldm.analysis.stats import iid_mean_error, moments


def z2_errors(z: np.ndarray, z_ref: np.ndarray | None = None, ref_mean: np.ndarray | None = None,
              ref_cov: np.ndarray | None = None) -> tuple[float, float]:
    """Errors of Re and Im <z^2> of independent samples z: plain, or with the reference samples
    z_ref ~ N(ref_mean, ref_cov) as control variates (as the pooling computes them)."""
    row = (moments(z, 2, iid=True) if z_ref is None else cv_moments(z, z_ref, ref_mean, ref_cov, 2))[1]
    return float(row["re_err"]), float(row["im_err"])


def data_z2_errors(chains: np.ndarray) -> tuple[float, float]:
    """Errors of Re and Im <z^2> of CL chains of shape (chains, samples): Gamma method."""
    row = moments(chains, 2)[1]
    return float(row["re_err"]), float(row["im_err"])


def samples_needed(pilot: int, pilot_errors: tuple[float, float], data_errors: tuple[float, float], ratio: float,
                   batch: int, cap: int) -> int:
    """N = pilot max_i (s_i / (ratio v_i))^2 over the parts i (Re, Im), in whole batches, within
    [pilot, cap]: the fewest samples whose sampling error s_i sqrt(pilot / N) is at most ratio v_i."""
    need = pilot * max((s / (ratio * v)) ** 2 if v > 0 else math.inf for s, v in zip(pilot_errors, data_errors))
    n = batch * math.ceil(min(need, cap) / batch)
    return int(min(max(n, pilot), cap))


def phi2_errors(phi: np.ndarray, phi_ref: np.ndarray | None = None, ref_mean: np.ndarray | None = None,
                ref_cov: np.ndarray | None = None) -> tuple[float, float]:
    """A chain's z2_errors: errors of Re and Im of the site average <phi^2> of independent fields phi
    (N, L), plain or with the reference fields as control variates (as the DM rows compute them)."""
    from cldm.analysis.observables import cv_sample_rows, sample_rows  # pandas: not for one-variable sample jobs

    rows = sample_rows(phi, "DM", iid_mean_error) if phi_ref is None else cv_sample_rows(phi, phi_ref, ref_mean,
                                                                                       ref_cov, "DM")
    row = rows.set_index(["observable", "n"]).loc[("phi", 2)]
    return float(row.re_err), float(row.im_err)


def data_phi2_errors(chains: np.ndarray) -> tuple[float, float]:
    """A chain's data_z2_errors: errors of Re and Im of the site average <phi^2> of CL chains of shape
    (chains, samples, L): Gamma method."""
    from cldm.analysis.observables import sample_rows

    row = sample_rows(chains, "CL").set_index(["observable", "n"]).loc[("phi", 2)]
    return float(row.re_err), float(row.im_err)
