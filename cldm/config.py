"""The study's config: its JSON schema (generated from the typed settings and the list of models),
validation with errors that name the key, and the study it describes: every point with its settings.

    python -m cldm.config    # prints the schema, as in workflow/schemas/config.schema.yaml
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import yaml
from jsonschema import Draft202012Validator

from cldm import CldmError
from cldm.physics.models import MODELS, physics_keys
from cldm.scans import RESULTS, ScanSpec, resolve_scan, scan_errors, scan_schema
from cldm.settings import SettingsError, Stage, knob
from cldm.settings.langevin import Langevin
from cldm.settings.sampling import Sampling
from cldm.settings.scan import ConditionedTraining
from cldm.settings.training import Training

SCHEMA_FILE = "workflow/schemas/config.schema.yaml"
POINT_NAME = "^[A-Za-z][A-Za-z0-9_-]*$"
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Threads(Stage):
    description: ClassVar[str] = "threads per job of the heavy rules (torch is fastest single-threaded here)"
    langevin: int = knob(1, "threads of a langevin job", minimum=1)
    train: int = knob(1, "threads of a train job", minimum=1)
    sample: int = knob(1, "threads of a sample job", minimum=1)


STAGES: dict[str, type[Stage]] = {"langevin": Langevin, "training": Training, "sampling": Sampling}
"""Config sections that a point can override."""
SCAN_STAGES: dict[str, type[Stage]] = {**STAGES, "training": ConditionedTraining}
"""Config sections that a scan can override (its training is the conditioned model's)."""


def config_schema() -> dict:
    """The JSON schema (draft 2020-12) of a config, from the stage classes and MODELS."""
    stages = {name: {"$ref": f"#/$defs/{name}"} for name in STAGES}
    model_rules = []
    for name, model in MODELS.items():
        model_rules.append({
            "if": {"properties": {"model": {"const": name}}, "required": ["model"]},
            "then": {
                "required": [k for k, p in model.params.items() if p.required],
                "properties": {k: model.params[k].schema if k in model.params else False for k in physics_keys()},
            },
        })
    point = {
        "type": "object",
        "additionalProperties": False,
        "required": ["model"],
        "properties": {
            "model": {"enum": list(MODELS), "description": "; ".join(f"{k}: {m.doc}" for k, m in MODELS.items())},
            **{k: {"description": _param_doc(k)} for k in physics_keys()},
            "seed": {"type": "integer", "minimum": 0, "description": "this point's seed (default: the study's)"},
            **stages,
        },
        "allOf": model_rules,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": "Configuration of the CL / diffusion-model study; generated from cldm/settings/ and "
                       "cldm/physics/models.py (python -m cldm.config). Every stage section can be overridden "
                       "inside a point; a key left out takes its default.",
        "$defs": {**{name: cls.schema() for name, cls in STAGES.items()}, "point": point,
                  "conditioned_training": ConditionedTraining.schema(),
                  "scan": scan_schema({**stages, "training": {"$ref": "#/$defs/conditioned_training"}})},
        "type": "object",
        "additionalProperties": False,
        "required": ["points", "seed"],
        "properties": {
            "points": {"type": "object", "minProperties": 1, "propertyNames": {"pattern": POINT_NAME},
                       "additionalProperties": {"$ref": "#/$defs/point"}},
            "seed": {"type": "integer", "minimum": 0, "description": "every random stream is derived from this"},
            "scans": {"type": "object", "propertyNames": {"pattern": POINT_NAME},
                      "additionalProperties": {"$ref": "#/$defs/scan"},
                      "description": "parameter scans (docs/scans.md); run them with the target `scans`"},
            **stages,
            "threads": Threads.schema(),
            "device": {"enum": list(DEVICES), "description": "training and sampling: auto = cuda where available "
                                                              "(default: 'auto')"},
        },
    }


def _param_doc(key: str) -> str:
    return "; ".join(f"{name}: {m.params[key].doc}" for name, m in MODELS.items() if key in m.params)


@dataclass(frozen=True)
class Point:
    """A parameter point: its physics (model and parameters), seed and the settings of every stage."""

    name: str
    physics: dict
    seed: int
    langevin: Langevin
    training: Training
    sampling: Sampling

    def stage(self, name: str) -> Stage:
        return getattr(self, name)


@dataclass(frozen=True)
class Study:
    points: dict[str, Point]
    seed: int
    threads: Threads
    device: str
    scans: dict[str, ScanSpec] = field(default_factory=dict)
    scan_points: dict[str, Point] = field(default_factory=dict)
    """The internal points of the scans' CL values (cldm.scans), by name."""


def config_errors(config: dict) -> list[str]:
    """Every violation as 'key.path: message', sorted; nothing for a sound config."""
    messages = _non_finite(config, "")
    bad = {m.split(":")[0] for m in messages}
    for err in Draft202012Validator(config_schema()).iter_errors(config):
        path = ".".join(str(p) for p in err.absolute_path) or "config"
        if err.schema is False:  # parameters of another model, reported at the point (or scan)
            point = config[err.absolute_path[0]][err.absolute_path[1]]
            model = point["model"]
            wrong = [k for k in point if k in physics_keys() and k not in MODELS[model].params]
            messages += [f"{path}.{k}: not a parameter of model {model!r} (it takes: {', '.join(MODELS[model].params)})"
                         for k in wrong]
        elif path not in bad:
            messages.append(f"{path}: {_message(err)}")
    if messages:
        return sorted(set(messages))
    for stage, cls in STAGES.items():
        messages += [f"{stage}.{key}: {message}" for key, message in _rule_errors(cls, config.get(stage, {}))]
    for name, raw in config["points"].items():
        for stage, cls in STAGES.items():
            if stage in raw:  # a rule broken by the point's own section is reported there
                problems = _rule_errors(cls, {**config.get(stage, {}), **raw[stage]})
                problems = [p for p in problems if p not in _rule_errors(cls, config.get(stage, {}))]
                messages += [f"points.{name}.{stage}.{key}: {message}" for key, message in problems]
        for key, message in MODELS[raw["model"]].errors(raw):
            messages.append(f"points.{name}.{key}: {message}")
    for name, raw in config.get("scans", {}).items():
        messages += _scan_errors(config, name, raw)
    if config.get("scans") and RESULTS in config["points"]:
        messages.append(f"points.{RESULTS}: the name of the scans' directory results/{RESULTS}/; rename the point")
    return sorted(set(messages))


def _scan_errors(config: dict, name: str, raw: dict) -> list[str]:
    """A scan's own rules (cldm.scans.scan_errors), the rules of its stage sections, and the model's
    rules at each of its values."""
    messages = scan_errors(name, raw)
    for stage, cls in SCAN_STAGES.items():
        if stage in raw:
            problems = _rule_errors(cls, {**config.get(stage, {}), **raw[stage]})
            problems = [p for p in problems if p not in _rule_errors(cls, config.get(stage, {}))]
            messages += [f"scans.{name}.{stage}.{key}: {message}" for key, message in problems]
    if not messages:
        for value in resolve_scan(name, raw, config).values:
            messages += [f"scans.{name}.{key} ({value.label}): {message}"
                         for key, message in MODELS[raw["model"]].errors(value.physics)]
    return messages


def _rule_errors(cls: type[Stage], values: dict) -> list[tuple[str, str]]:
    """(key, message) for the rules between fields that a section breaks."""
    try:
        cls.from_dict(values)
    except SettingsError as err:
        return err.problems
    return []


def _non_finite(value, path: str) -> list[str]:
    """'path: nan is not a finite number' for every NaN or infinity in the config."""
    if isinstance(value, dict):
        return [m for k, v in value.items() for m in _non_finite(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [m for i, v in enumerate(value) for m in _non_finite(v, f"{path}.{i}")]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path}: {value} is not a finite number"]
    return []


def _message(err) -> str:
    if err.validator == "oneOf":
        return f"{err.instance!r} is not valid: {err.schema.get('description', 'see the schema')}"
    return err.message


def load_study(config: dict) -> Study:
    """The study a config describes, every stage of every point resolved (defaults <- the global
    section <- the point's section). Raises CldmError listing every violation before any job."""
    errors = config_errors(config)
    if errors:
        raise CldmError("invalid config:\n  " + "\n  ".join(errors))
    points = {}
    for name, raw in config["points"].items():
        stages = {stage: cls.from_dict({**config.get(stage, {}), **raw.get(stage, {})}) for stage, cls in STAGES.items()}
        physics = {k: raw[k] for k in ("model", *physics_keys()) if k in raw}
        points[name] = Point(name, physics, raw.get("seed", config["seed"]), **stages)
    scans = {name: resolve_scan(name, raw, config) for name, raw in config.get("scans", {}).items()}
    scan_points = {spec.point(v): Point(spec.point(v), v.physics, spec.seed, spec.langevin, spec.training.plain(),
                                        spec.sampling) for spec in scans.values() for v in spec.values}
    return Study(points, config["seed"], Threads.from_dict(config.get("threads", {})), config.get("device", "auto"),
                 scans, scan_points)


def schema_yaml() -> str:
    header = "# Generated from cldm/settings/ and cldm/physics/models.py by `python -m cldm.config`; do not edit.\n"
    return header + yaml.safe_dump(config_schema(), sort_keys=False, width=120, allow_unicode=True)


if __name__ == "__main__":
    print(schema_yaml(), end="")
