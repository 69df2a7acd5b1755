"""Peak memory of every data-heavy job, measured, against the estimate of cldm/resources.py.

Runs each stage's entry point (cldm/stages/) in its own Python process, as a rule's job does, on
one quartic point at four scales (CL samples, ensemble, DM samples), and reads the process's peak
resident set size (getrusage ru_maxrss: exact, where Snakemake's benchmark max_rss is sampled and
misses short peaks). Prints JSON: per scale and job the measured and estimated peak (MB; the
estimate without its safety margin) and their ratio. The coefficients of cldm/resources.py are
fitted to scales A, B, C (slope of peak RSS against array size, base the intercept); D checks the
fit out of sample.

    .venv/bin/python benchmarks/memory_estimates.py [--work /tmp/cldm-memory] [--scales A,B,C,D]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from cldm.config import load_study
from cldm.resources import BASE_MB, COEFF, MB, arrays

SCALES = {  # langevin chains x samples, ensemble members, DM samples a member; D checks the fit out of sample
    "A": dict(chains=4096, samples=500, ensemble=2, dm=200_000),
    "B": dict(chains=4096, samples=2500, ensemble=2, dm=200_000),
    "C": dict(chains=4096, samples=2500, ensemble=2, dm=800_000),
    "D": dict(chains=8192, samples=1000, ensemble=4, dm=400_000),
}
PHYSICS = {"model": "quartic", "A": 1.0, "B": 1.0, "lam": 1.0}

STAGE = {  # rule -> Python run in a fresh process (names: point, settings, files)
    "langevin": "from cldm.stages.langevin import run_langevin as f; "
                "f('q', PHYSICS, P.langevin, 1, CL, DIAG)",
    "train": "from cldm.stages.training import train_member as f; f('q', 0, P.training, 1, CL, MODEL, LOSS)",
    "sample": "from cldm.stages.sampling import sample_member as f; f('q', 0, P.sampling, 1, MODEL, MEMBER)",
    "pool": "from cldm.stages.pool import pool_members as f; f([MEMBER] * P.training.ensemble, DM)",
    "moments": "from cldm.stages.moments import point_moments as f; f('q', PHYSICS, P.training, CL, DM, OUT + 'm.csv', "
               "OUT + 'e.csv')",
    "quality": "from cldm.stages.quality import point_quality as f; f('q', PHYSICS, P.training, 1, CL, DM, OUT + 'q.json')",
    "figure_distributions": "from cldm.stages.figures import distributions as f; "
                            "f('q', PHYSICS, CL, DM, [OUT + 'd.pdf', OUT + 'd.png'])",
    "figure_field": "from cldm.stages.field_figures import field as f; "
                    "f('flows', 'q', PHYSICS, CL, MODEL, 41, [OUT + 'f.pdf', OUT + 'f.png'])",
}


def config(scale: dict) -> dict:
    return {"points": {"q": PHYSICS}, "seed": 1,
            "langevin": {"chains": scale["chains"], "samples": scale["samples"], "step_scan": [2], "scan_chains": 256},
            "training": {"ensemble": scale["ensemble"], "steps": 20, "warmup": 5, "log_every": 10, "checkpoint_every": 100},
            "sampling": {"steps": 4, "samples": scale["dm"]}}


def peak_mb(code: str, cfg: dict, files: dict) -> float:
    """Run `code` in a fresh Python with the point P and the file names; its peak RSS in MB."""
    prelude = (f"import json, resource, torch; torch.set_num_threads(1)\n"
               f"from cldm.config import load_study\n"
               f"P = load_study(json.loads({json.dumps(json.dumps(cfg))})).points['q']\n"
               f"PHYSICS = P.physics\n" + "".join(f"{k} = {v!r}\n" for k, v in files.items()))
    run = prelude + code + "\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    if code.startswith("from cldm.stages.langevin") or code.startswith("from cldm.stages.pool"):
        run = run.replace("import json, resource, torch; torch.set_num_threads(1)", "import json, resource")
    out = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) * 1024 / MB


def estimate_mb(rule: str, point) -> float:
    """The estimate without the margin."""
    a = arrays(point)
    return BASE_MB[rule] + sum(c * a[name].bytes for name, c in COEFF[rule].items()) / MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/cldm-memory")
    parser.add_argument("--scales", default="A,B,C,D")
    args = parser.parse_args()
    results = {}
    for name in args.scales.split(","):
        scale, cfg = SCALES[name], config(SCALES[name])
        d = Path(args.work) / f"cl{scale['chains']}x{scale['samples']}k{scale['ensemble']}"
        d.mkdir(parents=True, exist_ok=True)
        files = dict(CL=str(d / "cl.npz"), DIAG=str(d / "cl.json"), MODEL=str(d / "m.pt"), LOSS=str(d / "loss.csv"),
                     MEMBER=str(d / f"s{scale['dm']}.npz"), DM=str(d / f"dm{scale['dm']}.npz"), OUT=str(d / f"o{scale['dm']}"))
        point = load_study(cfg).points["q"]
        rows = {}
        for rule, code in STAGE.items():
            if rule in ("langevin", "train") and Path(files["CL" if rule == "langevin" else "MODEL"]).exists():
                continue  # the same CL settings as a scale before
            measured = peak_mb(code, cfg, files)
            est = estimate_mb(rule, point)
            rows[rule] = dict(measured_mb=round(measured, 1), estimate_mb=round(est, 1), ratio=round(est / measured, 3))
        a = arrays(point)
        results[name] = dict(cl_mb=a["cl"].bytes / MB, member_mb=a["member"].bytes / MB, dm_mb=a["dm"].bytes / MB,
                             jobs=rows)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
