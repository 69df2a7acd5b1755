"""Each ensemble member against its own training data, from a finished study; prints JSON.

For every member k of a point: e_k = y_k - d_k for Re and Im <z^n>/n, n = 2, 4, 6, 8, with y_k the
member's DM estimate (control variates where dm.npz has the reference samples) and d_k the moment of
the CL chains it trained on, in units of the member's combined error sqrt(s_k^2 + v_k^2) (s_k
sampling, v_k the data's CL error as the pooling scales it); and kappa_n, n = 4, 6, 8, of the member's
moments minus those of its data (deviations only). A solver bias or a model's systematic
error shows as e_k of one sign in every member; noise as |e_k| ~ 1.

    .venv/bin/python benchmarks/dm_members.py [--results results] [--config config/config.yaml ...] [--points quartic gaussian]
        [--estimator energy/]   (an estimator's directory under results/{point}/: cldm.dm.kinds; default the score model's)
"""

import argparse
import json

import numpy as np

from cldm.analysis.split import member_chains
from cldm.analysis.control_variates import cv_moments
from cldm.analysis.cumulants import cumulants
from cldm.analysis.moments import share_moments
from cldm.analysis.quantities import CUMULANT_NS
from cldm.analysis.stats import moments
from cldm.config import load_study, merge_config_files
from cldm.dm.kinds import directories
from cldm.io import load_chains, load_samples

NS = (2, 4, 6, 8)


def members(results: str, point: str, ensemble: int, val_fraction: float, estimator: str = "") -> list[dict]:
    z, _ = load_chains(f"{results}/{point}/cl.npz")
    dm = load_samples(f"{results}/{point}/{estimator}dm.npz")
    cl = moments(z, max(NS))
    out = []
    for k in range(ensemble):
        share = member_chains(len(z), ensemble, k, val_fraction)[0]
        mine = dm["member"] == k
        if "z_ref" in dm:
            est = cv_moments(dm["z"][mine], dm["z_ref"][mine], dm["ref_mean"][k], dm["ref_cov"][k], max(NS))
        else:
            est = moments(dm["z"][mine], max(NS), iid=True)
        scale = np.sqrt(len(z) / len(share))
        row = dict(member=k, samples=int(mine.sum()))
        data_m = share_moments(z, [share])[0]  # <z^n>, n = 1..NMAX, of the chains the member learned from
        for n in NS:
            data = data_m[n - 1]
            for part, d in (("re", data.real), ("im", data.imag)):
                e, s, v = est[n - 1][part] - d, est[n - 1][f"{part}_err"], cl[n - 1][f"{part}_err"] * scale
                row[f"z{n}_{part}"] = dict(dev=float(f"{e / n:.2e}"), pull=round(float(e / np.hypot(s, v)), 2),
                                           s=float(f"{s / n:.1e}"), v=float(f"{v / n:.1e}"))
        mine_m = np.array([r["re"] + 1j * r["im"] for r in est])
        for n, (k_dm, k_data) in enumerate(zip(cumulants(mine_m), cumulants(data_m[:len(mine_m)])), start=1):
            if n in CUMULANT_NS and n > 2:  # kappa_2 = <z^2> here (the odd moments vanish)
                row[f"kappa{n}"] = dict(re=float(f"{(k_dm - k_data).real:.2e}"), im=float(f"{(k_dm - k_data).imag:.2e}"))
        out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results", default="results")
    ap.add_argument("--config", nargs="+", default=["config/config.yaml"],
                    help="config files, merged as Snakemake merges --configfile (e.g. config/config.yaml config/heldout.yaml)")
    ap.add_argument("--points", nargs="*")
    ap.add_argument("--estimator", default="", choices=directories()[1],
                    help="the estimator's directory under results/{point}/ (energy/, energy-mh/; default: the score model's)")
    a = ap.parse_args()
    study = load_study(merge_config_files(a.config))
    report = {}
    for point in a.points or list(study.points):
        t = study.points[point].training
        report[point] = members(a.results, point, t.ensemble, t.val_fraction, a.estimator)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
