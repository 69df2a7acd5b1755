"""Is this CL run right? Trust from evidence: boundary terms and the decay of the drift (deciding),
the strip and a step-size scan (recorded)."""

from __future__ import annotations

import numpy as np

from cldm.physics.actions import Polynomial
from cldm.physics.boundary import boundary_terms, drift_decay, drift_exponent_bound
from cldm.physics.relaxation import relaxation_rate
from cldm.physics.exact import point_strip
from cldm.physics.langevin import simulate
from cldm.settings.langevin import Langevin
from cldm.analysis.stats import mean_error


def step_scan(action: Polynomial, settings: Langevin, seed: int) -> dict:
    """<z^2> at step sizes eps * f, f = 1 and each factor of settings.step_scan, each from
    settings.scan_chains fresh chains, and its extrapolation to eps = 0 by a weighted fit
    a + b eps^p (p = 1 for Euler, 2 for Heun): the step-size dependence."""
    rows = []
    for f in [1.0, *settings.step_scan]:
        step = settings.step * f
        z = simulate(action, **settings.engine(chains=settings.scan_chains, step=step), seed=seed)
        re, re_err, _ = mean_error((z**2).real)
        im, im_err, _ = mean_error((z**2).imag)
        rows.append(dict(step=step, z2_re=re, z2_re_err=re_err, z2_im=im, z2_im_err=im_err))
    order = 1 if settings.integrator == "euler" else 2
    fit = {part: _extrapolate([r["step"] ** order for r in rows], [r[f"z2_{part}"] for r in rows],
                              [r[f"z2_{part}_err"] for r in rows]) for part in ("re", "im")}
    return dict(order=order, runs=rows, extrapolated={f"z2_{k}": v for k, v in fit.items()})


def _extrapolate(h: list[float], y: list[float], err: list[float]) -> dict | None:
    """Weighted least squares y = a + b h; returns a and its error (None with fewer than 2 runs)."""
    if len(h) < 2:
        return None
    design = np.stack([np.ones(len(h)), h], axis=1) / np.asarray(err)[:, None]
    cov = np.linalg.inv(design.T @ design)
    a = (cov @ design.T @ (np.asarray(y) / np.asarray(err)))[0]
    return dict(value=float(a), err=float(np.sqrt(cov[0, 0])))


def trust(terms: list[dict], drift: dict, bound: float) -> list[str]:
    """The reasons not to trust CL (none: trusted). The decision rule: every boundary term's
    plateau vanishes within its errors (settings.diagnostic_z), and the drift magnitude falls off
    faster than u^-bound (`drift_exponent_bound` of the highest power)."""
    reasons = []
    for t in terms:
        if t["verdict"] == "present":
            p = t["plateau"]
            reasons.append(f"boundary term of {t['observable']}: B = {p['re']:.3g} {'-' if p['im'] < 0 else '+'} "
                           f"{abs(p['im']):.3g}i (+-{p['re_err']:.2g}, +-{p['im_err']:.2g}) at Y = {p['Y']:.3g}, "
                           f"{t['significance']:.1f} errors from 0")
    if drift["exponent"] <= bound:
        reasons.append(f"drift magnitude falls off as a power law, P(|K| > u) ~ u^-{drift['exponent']:.2f}: "
                       f"too slowly (needs an exponent above {bound:.3g}) for L O to have a variance")
    return reasons


def cl_diagnostics(action: Polynomial, physics: dict, z: np.ndarray, settings: Langevin) -> dict:
    """Diagnostics of CL samples z (chains, samples) and a `trusted` flag with its reasons, decided
    by the boundary terms and the drift decay (`trust`); the strip is recorded in `notes`."""
    k = action.drift(z.copy())
    kappa = relaxation_rate(action.sigma, getattr(action, "lam", 0))
    drift = drift_decay(np.abs(k), settings.drift_tail_fraction, settings.diagnostic_z)
    terms = boundary_terms(action, z, settings, kappa, k, drift["exponent"])
    del k
    bound = drift_exponent_bound(len(action.coeffs) - 1, max(settings.boundary_powers))
    reasons = trust(terms, drift, bound)
    max_y = float(np.abs(z.imag).max())
    strip = point_strip(physics)
    notes = []
    if physics["model"] == "quartic":
        if strip is None:
            notes.append("no strip confines CL (B^2 >= 3A^2, A <= 0 or complex lambda)")
        elif max_y >= strip[0]:
            notes.append(f"samples leave the strip: max|y| = {max_y:.4g} >= y- = {strip[0]:.4g}")
    return dict(
        trusted=not reasons,
        reasons=reasons,
        notes=notes,
        boundary_terms=terms,
        drift=dict(drift, exponent_bound=bound),
        relaxation_rate=dict(re=kappa.real, im=kappa.imag),
        max_abs_y=max_y,
        y_minus=None if strip is None else strip[0],
        y_plus=None if strip is None else strip[1],
    )
