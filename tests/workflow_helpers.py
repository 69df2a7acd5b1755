"""Run the workflow in a scratch copy of the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# through the interpreter, not the console script: a venv built at another path keeps a stale shebang
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
COPIED = ("Snakefile", "workflow", "scripts", "config", "cldm")


def scratch_copy(dest: Path) -> Path:
    """The workflow's files (not results) in `dest`; its rules import the copied library."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    proc = subprocess.run([*SNAKEMAKE, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


PROFILE = "workflow/profiles/default"
# A quartic point whose CL runs away (Euler steps of 0.5 without the adaptive step): its langevin job must fail.
RUNAWAY = dict(model="quartic", A=1.0, B=1.0, lam=1.0, langevin=dict(integrator="euler", step=0.5, interval=2.0, kref=None))


def runaway_config(point: str) -> str:
    """A config file's text that makes `point` the RUNAWAY point."""
    return yaml.safe_dump({"points": {point: RUNAWAY}})


def toy(workdir: Path, *targets: str, flags: tuple = (), extra: tuple = (), **kw) -> subprocess.CompletedProcess:
    """snakemake TARGETS --workflow-profile workflow/profiles/default --cores 2 FLAGS --configfile
    config/test.yaml EXTRA, as the README runs the study (targets first: after --configfile they
    would be read as config files)."""
    return snakemake(workdir, *targets, "--workflow-profile", PROFILE, "--cores", "2", *flags,
                     "--configfile", "config/test.yaml", *extra, **kw)


def planned(workdir: Path, *targets: str, flags: tuple = (), extra: tuple = ()) -> dict[str, int]:
    """Jobs a dry run would execute, by rule (without the target rule 'all')."""
    proc = toy(workdir, *targets, flags=("--dry-run", *flags), extra=extra)
    text = proc.stdout + proc.stderr
    assert "Error" not in text, text[-3000:]
    jobs = job_stats(text)
    jobs.pop("all", None)
    return jobs


def job_stats(text: str) -> dict[str, int]:
    """Jobs by rule from the 'Job stats' table of Snakemake's output; {} where nothing is to be done."""
    if "Nothing to be done" in text:
        return {}
    jobs = {}
    for line in text[text.index("Job stats:"):].splitlines()[3:]:
        rule, count = line.split()
        if rule == "total":
            return jobs
        jobs[rule] = int(count)
    raise AssertionError("no 'total' line ends Snakemake's Job stats table")
