import re
import sys

from cldm import CldmError
from cldm.codehash import code_hash
from cldm.config import load_study
from cldm.physics.models import is_field
from cldm.resources import mem_mb as estimated_mem_mb

try:
    STUDY = load_study(config)  # validated before any job: an error names the key (memory: cldm/resources.py)
except CldmError as err:
    sys.exit(str(err))  # the message alone, without a traceback
POINTS = list(STUDY.points)
EVERY_POINT = {**STUDY.points, **STUDY.scan_points}
"""The config's points and the internal points of the scans' CL values (workflow/rules/scans.smk)."""
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


def settings(point, stage):
    """A stage's settings for one point, every key resolved (defaults, the global section, the
    point's section): what a job depends on."""
    s = EVERY_POINT[point].stage(stage)
    return s.params() if stage == "sampling" else s.as_dict()


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


def figure(name):
    """A point's figure as PDF and, for the report, PNG with its caption workflow/report/NAME.rst."""
    return dict(
        pdf=f"results/{{point}}/figures/{name}.pdf",
        png=report(f"results/{{point}}/figures/{name}.png", caption=f"../report/{name}.rst", category="{point}",
                   labels={"point": "{point}", "figure": name}),
    )
