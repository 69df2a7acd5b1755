import dataclasses
import re
import sys

from cldm import CldmError
from cldm.codehash import code_hash
from cldm.config import load_study
from cldm.dm.kinds import DEFAULT, KINDS, directories, estimators, kind_directory
from cldm.dm.samplers import SAMPLERS
from cldm.physics.models import is_field
from cldm.resources import mem_mb as estimated_mem_mb

try:
    STUDY = load_study(config)  # validated before any job: an error names the key (memory: cldm/resources.py)
except CldmError as err:
    sys.exit(str(err))  # the message alone, without a traceback
POINTS = list(STUDY.points)
# the points of the config and the internal points of the CL values of the scans (workflow/rules/scans.smk)
EVERY_POINT = {**STUDY.points, **STUDY.scan_points}
FIELD_POINTS = [p for p in POINTS if is_field(STUDY.points[p].physics)]  # chain points: observables, not moments
VARIABLE_POINTS = [p for p in POINTS if p not in FIELD_POINTS]  # one complex variable


def code(script):
    """Hash of the script scripts/SCRIPT.py and the library code it imports (cldm.codehash: docstrings
    and comments stripped), a parameter of each job that runs it. Editing code reruns exactly the
    jobs that use it; touching a file or editing a comment reruns nothing. The workflow profiles
    replace Snakemake's own code trigger (a script newer than its outputs, which reruns on a mere
    touch) by this hash."""
    return code_hash(f"scripts/{script}.py", workflow.basedir)


def physics(point):
    """Model parameters of a point: model, A, B (and lam)."""
    return EVERY_POINT[point].physics


def settings(point, stage, kind=None):
    """A stage's settings for one point, every key resolved (defaults, the global section, the
    point's section): what a job depends on (training: of the models of `kind`, a directory of
    MODEL_DIRS, or of any kind)."""
    s = EVERY_POINT[point].stage(stage)
    if stage == "training":
        return s.params(KIND_OF[kind] if kind is not None else None)
    return s.params() if stage == "sampling" else s.as_dict()


MODEL_DIRS, SAMPLE_DIRS = directories()  # the values of the wildcards kind and est, one per kind / estimator
KIND_OF = {kind_directory(k): k for k in KINDS}


def kinds(point):
    """The directories of the kinds of model a point trains (training.kind): '' for the default kind,
    'energy/', ...: results/{point}/{kind}model/member{k}.pt."""
    return [kind_directory(k) for k in EVERY_POINT[point].training.kind]


def point_estimators(point):
    """The point's DM estimators (cldm.dm.kinds.estimators): each kind with the point's sampler, and
    each kind with an energy also Metropolis-adjusted."""
    p = EVERY_POINT[point]
    return estimators(p.training.kind, SAMPLERS[p.sampling.sampler].energy)


def estimator(point, est):
    """The estimator whose samples live in results/{point}/{est}."""
    return next(e for e in point_estimators(point) if e.directory == est)


def sampling_settings(point, est):
    """What a sample job of an estimator depends on: the point's sampling settings, with the
    Metropolis-adjusted sampler and its samples for a Metropolis-adjusted estimator (Sampling.metropolis)."""
    s = EVERY_POINT[point].sampling
    return (s.metropolis() if estimator(point, est).metropolis else s).params()


def field_path(pattern):
    """A chain point's path of a {kind} or {est} pattern: chain points train and sample the default
    kind alone (the field score model)."""
    return pattern.replace("{kind}", kind_directory(DEFAULT)).replace("{est}", estimators((DEFAULT,), False)[0].directory)


def per_kind(pattern, points=None, **wildcards):
    """`pattern` for every point (of `points`, default all) and each of its kinds."""
    return [f for p in (POINTS if points is None else points) for f in expand(pattern, point=p, kind=kinds(p), **wildcards)]


def per_estimator(pattern, points=None):
    """`pattern` for every point (of `points`, default all) and each of its DM estimators."""
    return [f for p in (POINTS if points is None else points)
            for f in expand(pattern, point=p, est=[e.directory for e in point_estimators(p)])]


def mem_mb(rule):
    """`resources: mem_mb` of a rule's jobs: the peak memory estimated from the point's settings
    (cldm/resources.py), which a cluster job asks for."""
    return lambda w: estimated_mem_mb(EVERY_POINT[w.point], rule)


def seed(point):
    return EVERY_POINT[point].seed


def transfer_sites(point):
    """The chain length at which a chain point's models are also sampled (sampling.transfer_sites), or None."""
    return STUDY.points[point].sampling.transfer_sites


def members(point):
    return range(EVERY_POINT[point].training.ensemble)


FIELDS = {"flows": 41, "density": 100}  # figures of the learned score of member 0: grid cells per axis


def figure(name, wildcard=None):
    """A point's figure as PDF and, for the report, PNG with its caption workflow/report/NAME.rst;
    `wildcard` (kind or est): one figure of each kind or estimator, under its directory."""
    where = f"results/{{point}}/{{{wildcard}}}figures" if wildcard else "results/{point}/figures"
    return dict(
        pdf=f"{where}/{name}.pdf",
        png=report(f"{where}/{name}.png", caption=f"../report/{name}.rst", category="{point}",
                   labels=lambda w: {"point": w.point, "model": model_label(w), "figure": name}),
    )


def model_label(w):
    """The label in the report of the models a figure shows: a kind (Metropolis-adjusted or not), or all."""
    if "est" in w.keys():
        return estimator(w.point, w.est).label
    return KIND_OF[w.kind] if "kind" in w.keys() else "all"
