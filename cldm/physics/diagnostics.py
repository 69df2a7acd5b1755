"""Is this CL run right? Trust from evidence: boundary terms and the decay of the drift (deciding),
the strip and a step-size scan (recorded)."""

from __future__ import annotations

import numpy as np

from cldm.physics.actions import Action, Polynomial
from cldm.physics.boundary import boundary_terms, drift_decay, drift_exponent_bound
from cldm.physics.relaxation import relaxation_rate
from cldm.physics.exact import point_strip, strip_bounds
from cldm.physics.langevin import simulate
from cldm.settings.langevin import Langevin
from cldm.analysis.stats import mean_error

# The chain's checks (chain_diagnostics); a point of one variable is judged by boundary terms (cl_diagnostics).
HILL_FRACTION = 1e-3  # tail fraction for the drift tail index
MIN_TAIL_INDEX = 3.0  # P(|K| > u) ~ u^-a with a below this: heavy tails, boundary terms likely
MAX_PULL = 4.0  # |<L_c O>| / error above this: the consistency condition fails
CHUNK = 256  # chains of fields per block in chain_diagnostics (bounds the temporaries)


def drift_tail_index(k_abs: np.ndarray) -> float:
    """Hill estimate of a in P(|K| > u) ~ u^-a from the largest HILL_FRACTION of |K|.

    A distribution decaying exponentially or faster gives a large a; a power law with small a
    signals the boundary terms that make CL converge to wrong results (Nagata et al. 2016).
    """
    top = np.sort(k_abs.ravel())[::-1][: max(10, int(HILL_FRACTION * k_abs.size))]
    return float(1 / np.mean(np.log(top[:-1] / top[-1])))


def consistency(action: Polynomial, z: np.ndarray, n: int) -> dict:
    """<L_c z^n> = <n(n-1) z^(n-2) + n K z^(n-1)>, zero for correct CL, with its error."""
    return _consistency_row(_site_mean(lc_series(action, z, n)), n)


def lc_series(action: Action, z: np.ndarray, n: int) -> np.ndarray:
    """L_c z^n = n(n-1) z^(n-2) + n K z^(n-1) per sample (per site for a field)."""
    return n * (n - 1) * z ** (n - 2) + n * action.drift(z.copy()) * z ** (n - 1)


def _consistency_row(lc: np.ndarray, n: int) -> dict:
    re, re_err, _ = mean_error(lc.real)
    im, im_err, _ = mean_error(lc.imag)
    return dict(n=n, re=re, re_err=re_err, im=im, im_err=im_err)


def step_scan(action: Polynomial, settings: Langevin, seed: int, z: np.ndarray | None = None) -> dict:
    """<z^2> at step sizes eps * f, f = 1 and each factor of settings.step_scan, and its
    extrapolation to eps = 0 by a weighted fit a + b eps^p (p = 1 for Euler, 2 for Heun): the
    step-size dependence. Each factor's <z^2> from settings.scan_chains fresh chains; that of f = 1
    from the run's own chains z where given (the same step: the run itself, with all its chains),
    else from fresh ones as the factors'. Each row says how many chains it had."""
    rows = []
    for f in [1.0, *settings.step_scan]:
        step = settings.step * f
        if f == 1.0 and z is not None:
            chains = z
        else:
            chains = simulate(action, **settings.engine(chains=settings.scan_chains, step=step), seed=seed)
        z2 = _site_mean(chains**2)
        re, re_err, _ = mean_error(z2.real)
        im, im_err, _ = mean_error(z2.imag)
        rows.append(dict(step=step, chains=len(chains), z2_re=re, z2_re_err=re_err, z2_im=im, z2_im_err=im_err))
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


def _site_mean(x: np.ndarray) -> np.ndarray:
    """A field's series (chains, samples, *sites) averaged over its sites; one variable's unchanged."""
    return x.mean(axis=tuple(range(2, x.ndim))) if x.ndim > 2 else x


def chain_diagnostics(action: Action, physics: dict, z: np.ndarray) -> dict:
    """Diagnostics of CL fields z (chains, samples, L) of a chain point and a `trusted` flag.

    The strip |y| < y- of the one-variable quartic model at the same sigma, lam confines the chain
    too (maximum principle): Im K_x = (y_{x+1} + y_{x-1} - 2 y_x) + Im K_1(phi_x), K_1 the one-site
    drift; at the site of the largest y_x the hopping part is <= 0, and for y_x in [y-, y+] the
    one-site part is <= 0 for every x_x, so max_x |y_x| cannot grow past y-. Distrust, as for one
    variable: no strip (lam > 0, B != 0 and B^2 >= 3A^2 or A <= 0), samples outside it, a heavy drift tail (|K_x| over all
    sites), <L_c phi_x^n> != 0 (n = 2, 4; L_c phi_x^n = n(n-1) phi_x^(n-2) + n K_x phi_x^(n-1),
    averaged over the sites).
    """
    reasons = []
    max_y = float(np.abs(z.imag).max())
    A, B, lam = physics["A"], physics["B"], physics["lam"]
    complex_drift = lam > 0 and B != 0  # B = 0: CL stays real; lam = 0: the Gaussian chain, exact CL
    strip = strip_bounds(A, B, lam) if complex_drift and A > 0 else None
    if complex_drift:
        if strip is None:
            reasons.append("B^2 >= 3A^2 or A <= 0: no strip confines CL; it may converge to a wrong limit")
        elif max_y >= strip[0]:
            reasons.append(f"samples leave the strip: max|y| = {max_y:.4g} >= y- = {strip[0]:.4g}")
    chunks = [z[i : i + CHUNK] for i in range(0, len(z), CHUNK)]  # temporaries of CHUNK chains at a time
    tail = drift_tail_index(np.concatenate([np.abs(action.drift(c)) for c in chunks]))
    if tail < MIN_TAIL_INDEX:
        reasons.append(f"drift magnitude has a power-law tail (index {tail:.2f} < {MIN_TAIL_INDEX})")
    checks = [_consistency_row(np.concatenate([_site_mean(lc_series(action, c, n)) for c in chunks]), n)
              for n in (2, 4)]
    for c in checks:  # a part with zero error (Im of a real chain, B = 0) is exactly zero
        pull = max([abs(c[p]) / c[f"{p}_err"] for p in ("re", "im") if c[f"{p}_err"] > 0], default=0.0)
        if pull > MAX_PULL:
            reasons.append(f"<L_c phi_x^{c['n']}> != 0 at {pull:.1f} sigma")
    return dict(
        trusted=not reasons,
        reasons=reasons,
        max_abs_y=max_y,
        y_minus=None if strip is None else strip[0],
        y_plus=None if strip is None else strip[1],
        drift_tail_index=tail,
        consistency=checks,
    )
