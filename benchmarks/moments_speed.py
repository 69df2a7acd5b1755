"""CPU time of a point's moments job (`cldm.stages.moments.point_moments`: moments, cumulants and
their errors for exact, CL and the DM ensemble) with the code of an earlier version of cldm
(checked out from git) and of the working tree, side by side on the same finished results; prints
JSON.

Each run is a process of its own with one BLAS and one torch thread (as Snakemake runs a job of
`threads: 1`), the versions alternating, so load on a shared machine hits both alike; times are CPU
seconds of the call (imports not counted). Also reported: the largest difference between the
versions' tables, relative to each row's error bar.

    .venv/bin/python benchmarks/moments_speed.py [--results results] [--points quartic gaussian] [--repeats 3] [--former REV]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from cldm.config import load_study, merge_config_files

FORMER = "bcb0182"
"""main before this session's moments work (the Gamma method by numpy's FFT, lstsq control variates)."""
ROOT = Path(__file__).resolve().parents[1]

RUN = """
import json, sys, time
import cldm
from cldm.settings.training import Training
from cldm.stages.moments import point_moments
root, point, physics, training, results, out = sys.argv[1:7]
assert cldm.__file__.startswith(root), cldm.__file__
t = time.process_time()
point_moments(point, json.loads(physics), Training.from_dict(json.loads(training)), f"{results}/{point}/cl.npz",
              {"DM": f"{results}/{point}/dm.npz"}, out, out + ".errors")
print(time.process_time() - t)
"""


def run(root: str, point: str, physics: dict, training: dict, results: str, out: str) -> float:
    """CPU seconds of point_moments with the cldm at root, in a fresh one-thread process."""
    env = dict(os.environ, PYTHONPATH=root, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", RUN, root, point, json.dumps(physics), json.dumps(training),
                           str(Path(results).resolve()), out], env=env, capture_output=True, text=True, check=True,
                          cwd=Path(out).parent)  # not the checkout's directory: root's cldm is imported
    return float(done.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--config", nargs="+", default=["config/config.yaml"], help="config files, merged as by --configfile")
    ap.add_argument("--points", nargs="*")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--former", default=FORMER, help="the git revision of the 'before' code")
    args = ap.parse_args()
    study = load_study(merge_config_files(args.config))
    report = dict(former=args.former)
    with tempfile.TemporaryDirectory() as tmp:
        former = Path(tmp, "former")
        former.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.former, "cldm"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(former)], input=archive, check=True)
        roots = {"before": str(former), "now": str(ROOT)}
        for point in args.points or list(study.points):
            spec = study.points[point]
            times = {name: [] for name in roots}
            for _ in range(args.repeats):
                for name, root in roots.items():
                    times[name].append(run(root, point, spec.physics, spec.training.as_dict(), args.results,
                                           str(Path(tmp, f"{name}.csv"))))
            a, b = (pd.read_csv(Path(tmp, f"{name}.csv"), comment="#") for name in roots)
            shift = max(float(((a[p] - b[p]).abs() / a[f"{p}_err"].where(a[f"{p}_err"] > 0)).max()) for p in ("re", "im"))
            report[point] = {**{name: dict(cpu_s=[round(t, 2) for t in ts], median_s=round(statistics.median(ts), 2))
                                for name, ts in times.items()},
                             "speedup_median": round(statistics.median(times["before"]) / statistics.median(times["now"]), 2),
                             "max_shift_in_errors": shift}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
