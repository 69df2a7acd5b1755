import re

from cldm.config import validate

validate(config, workflow.source_path("../schemas/config.schema.yaml"))

POINTS = list(config["points"])
FIGURES = ("distributions", "flows", "density", "moments", "loss")


wildcard_constraints:
    point="|".join(re.escape(p) for p in POINTS),
    k=r"\d+",


def physics(point):
    """Model parameters of a point: model, A, B (and lam)."""
    p = config["points"][point]
    return {key: p[key] for key in ("model", "A", "B", "lam") if key in p}


def settings(point, stage):
    """A stage's settings for one point: the global section, the point's overrides on top."""
    return {**config[stage], **config["points"][point].get(stage, {})}


def seed(point):
    return config["points"][point].get("seed", config["seed"])


def members(point):
    return range(settings(point, "training")["ensemble"])


def lib(*modules):
    """Library modules a rule's script imports: inputs, so editing one reruns its rules."""
    return [f"cldm/{m}.py" for m in ("__init__", "io", "job", "provenance", *modules)]


def figures(point):
    return expand("results/{point}/figures/{name}.{ext}", point=point, name=FIGURES, ext=("pdf", "png"))


def point_outputs(point):
    return [
        f"results/{point}/cl.npz",
        f"results/{point}/dm.npz",
        f"results/{point}/moments.csv",
        f"results/{point}/dm_quality.json",
        *figures(point),
    ]


def study_outputs():
    return [
        *(f for p in POINTS for f in point_outputs(p)),
        *expand("results/tables/moments.{ext}", ext=("csv", "md", "tex")),
    ]
