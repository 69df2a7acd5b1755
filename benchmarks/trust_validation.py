"""Does the trust rule hold on points it was not tuned on? For each point: a CL run, its diagnostics
(the `trusted` verdict of cldm.physics.diagnostics) and the exact <z^2>; prints JSON with the pull
(CL - exact)/error, the verdict, the boundary-term plateau of z^2 and the CL shift it predicts, and
the drift exponent. The summary checks the targets: every point within 3 errors of exact trusted,
every point off by more than 5 errors untrusted.

    .venv/bin/python benchmarks/trust_validation.py [--chains 512] [--samples 1000] [--points "(-1+1j):1" ...]

A point is sigma:lambda (Python complex literals; in parentheses where sigma is negative, or argparse
takes it for an option); the default list is the one of docs/cl-failure.md.
"""

import argparse
import json

from cldm.analysis.stats import mean_error
from cldm.physics.actions import Quartic
from cldm.physics.diagnostics import cl_diagnostics
from cldm.physics.exact import exact_moments
from cldm.physics.langevin import simulate
from cldm.settings.langevin import Langevin

POINTS = [
    # A < 0, real lambda
    "-1+0j:1", "-0.5+0.5j:1", "-1+0.5j:1", "-1+1j:1", "-1+2j:1", "-2+2j:1", "-3+1j:1", "-0.5+2j:1",
    # complex lambda
    "1+1j:1+1j", "1+1j:1-2j", "1+0j:1+2j", "1+0j:1+0.5j", "2+1j:1+3j", "-2+1j:1+1j", "-0.5+0.5j:1-1j", "1+2j:0.5+1j",
    # A > 0 without a strip
    "1+2j:1", "0.5+2j:1", "0.3+1j:1",
]


def _pull(diff: float, err: float) -> float:
    """|diff| / err; 0 where both vanish (a real action keeps CL on the real axis: Im z = 0 exactly)."""
    return abs(diff) / err if err > 0 else (0.0 if abs(diff) < 1e-12 else float("inf"))


def validate(sigma: complex, lam: complex, settings: Langevin, seed: int) -> dict:
    action = Quartic(sigma, lam)
    physics = dict(model="quartic", A=sigma.real, B=sigma.imag, lam=lam.real, lam_im=lam.imag)
    z = simulate(action, **settings.engine(), seed=seed)
    d = cl_diagnostics(action, physics, z, settings)
    exact = exact_moments(**physics)[2]
    re, re_err, _ = mean_error((z**2).real)
    im, im_err, _ = mean_error((z**2).imag)
    pull = max(_pull(re - exact.real, re_err), _pull(im - exact.imag, im_err))
    t = d["boundary_terms"][0]
    p, s = t["plateau"], t["predicted_shift"]
    return dict(sigma=str(sigma), lam=str(lam), pull=round(pull, 1), trusted=d["trusted"],
                cl_minus_exact=[round(re - exact.real, 5), round(im - exact.imag, 5)], cl_err=[round(re_err, 5), round(im_err, 5)],
                boundary_z2=[round(p["re"], 4), round(p["im"], 4)], boundary_z2_err=[round(p["re_err"], 4), round(p["im_err"], 4)],
                boundary_verdicts=[b["verdict"] for b in d["boundary_terms"]],
                predicted_shift=[round(s["re"], 5), round(s["im"], 5)], drift_exponent=round(d["drift"]["exponent"], 2),
                drift_decay=d["drift"]["decay"], exponent_bound=round(d["drift"]["exponent_bound"], 3))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", nargs="+", default=POINTS)
    ap.add_argument("--chains", type=int, default=512)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    settings = Langevin(chains=a.chains, samples=a.samples)
    rows = []
    for p in a.points:
        s, lam = p.split(":")
        rows.append(validate(complex(s), complex(lam), settings, a.seed))
        print(json.dumps(rows[-1]), flush=True)
    agree = [r for r in rows if r["pull"] <= 3]
    off = [r for r in rows if r["pull"] > 5]
    print(json.dumps(dict(chains=a.chains, samples=a.samples,
                          within_3_trusted=f"{sum(r['trusted'] for r in agree)}/{len(agree)}",
                          beyond_5_untrusted=f"{sum(not r['trusted'] for r in off)}/{len(off)}",
                          between_3_and_5=[(r["sigma"], r["lam"], r["pull"], r["trusted"]) for r in rows if 3 < r["pull"] <= 5]),
                     indent=2))


if __name__ == "__main__":
    main()
