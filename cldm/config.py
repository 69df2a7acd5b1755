"""The study's config: its JSON schema (generated from the typed settings and the list of models),
validation with errors that name the key, and the study it describes: every point with its settings.

    python -m cldm.config              # prints the schema, as in workflow/schemas/config.schema.yaml
    python -m cldm.config --markdown   # prints the README's table of keys and rules (cldm.config_table)
    python -m cldm.config --readme     # writes that table into README.md
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml
from jsonschema import Draft202012Validator, validators

from cldm import CldmError, config_table
from cldm.analysis.split import share_size
from cldm.config_messages import accepted, key_path, schema_lines, show, structure_problems
from cldm.dm.kinds import KINDS, estimators
from cldm.dm.samplers import MH_SAMPLER, SAMPLERS
from cldm.physics.models import MODELS, Model, physics_keys
from cldm.scans import RESULTS, ScanSpec, resolve_scan, scan_errors, scan_schema
from cldm.settings import SettingsError, Stage, knob
from cldm.settings.langevin import Langevin
from cldm.settings.sampling import Sampling
from cldm.settings.scan import ConditionedTraining
from cldm.settings.training import Training

SCHEMA_FILE = "workflow/schemas/config.schema.yaml"
POINT_NAME = "^[A-Za-z][A-Za-z0-9_-]*$"
MAX_NAME = 100
"""Characters of a point's name: it names a directory (file systems allow 255 bytes)."""
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Threads(Stage):
    description: ClassVar[str] = "threads per job of the heavy rules (torch is fastest single-threaded here)"
    langevin: int = knob(1, "threads of a langevin job", minimum=1)
    train: int = knob(1, "threads of a train job", minimum=1)
    sample: int = knob(1, "threads of a sample job", minimum=1)


@dataclass(frozen=True)
class Resources(Stage):
    description: ClassVar[str] = ("memory a job may use: before any job, each job's peak memory, estimated from the "
                                  "settings (cldm/resources.py), is checked against it")
    max_mem_mb: int | None = knob(None, "the most memory one job may use, in MB: null = this machine's physical memory "
                                  "(local runs); on a cluster, the memory of a node or the partition's limit per job",
                                  minimum=1)


STAGES: dict[str, type[Stage]] = {"langevin": Langevin, "training": Training, "sampling": Sampling}
"""Config sections that a point can override."""
SCAN_STAGES: dict[str, type[Stage]] = {**STAGES, "training": ConditionedTraining}
"""Config sections that a scan can override (its training is the conditioned model's)."""


def merge_config_files(paths: list[str]) -> dict:
    """Config files merged as Snakemake merges --configfile: later mappings update earlier ones."""

    def update(a: dict, b: dict) -> dict:
        return {**a, **{k: update(a[k], v) if isinstance(a.get(k), dict) and isinstance(v, dict) else v
                        for k, v in b.items()}}

    config: dict = {}
    for path in paths:
        with open(path) as f:
            config = update(config, yaml.load(f, Loader=yaml.FullLoader) or {})
    return config


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
            "points": {"type": "object", "minProperties": 1, "propertyNames": {"pattern": POINT_NAME, "maxLength": MAX_NAME},
                       "additionalProperties": {"$ref": "#/$defs/point"}},
            "seed": {"type": "integer", "minimum": 0, "description": "every random stream is derived from this"},
            "scans": {"type": "object", "propertyNames": {"pattern": POINT_NAME, "maxLength": MAX_NAME},
                      "additionalProperties": {"$ref": "#/$defs/scan"},
                      "description": "parameter scans (docs/scans.md); run them with the target `scans`"},
            **stages,
            "threads": Threads.schema(),
            "resources": Resources.schema(),
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
    resources: Resources
    scans: dict[str, ScanSpec] = field(default_factory=dict)
    scan_points: dict[str, Point] = field(default_factory=dict)
    """The internal points of the scans' CL values (cldm.scans), by name."""


def config_errors(config: Any, memory_mb: float | None = None) -> list[str]:
    """Every violation as 'key.path: message' (the key, its value, what is accepted), sorted; nothing
    for a sound config. Checked in turn: the structure (string keys, JSON values, finite numbers),
    the schema, the rules between fields, what each job needs (enough chains and points for the
    ensemble and its batches) and each job's memory against `memory_mb` (default: resources.max_mem_mb,
    or this machine's memory)."""
    if not isinstance(config, dict):
        return [f"config: {show(config)} is not a mapping of sections (points, seed, ...)"]
    structure = structure_problems(config)
    messages = [f"{key_path(parts, config)}: {message}{_accepts(parts, config, message)}"
                for parts, message, _ in structure]
    if any(fatal for *_, fatal in structure):
        return sorted(set(messages))
    bad = [parts for parts, *_ in structure]
    emptied = {parts[:-1] for parts, message, _ in structure if message.startswith("the key ")}
    for err in _validator().iter_errors(_string_keys(config)):
        parts = tuple(err.absolute_path)
        if any(parts[: len(b)] == b for b in bad) or (parts in emptied and err.validator == "minProperties"):
            continue  # already reported, in words that say more
        if err.schema is False:  # parameters of another model, reported at the point (or scan)
            point = config[parts[0]][parts[1]]
            model = point["model"]
            wrong = [k for k in point if k in physics_keys() and k not in MODELS[model].params]
            messages += [f"{key_path(parts[:2] + (k,), config)}: not a parameter of model {model!r} (it takes: "
                         f"{', '.join(MODELS[model].params)})" for k in wrong]
        else:
            messages += schema_lines(err, config)
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
    if messages:
        return sorted(set(messages))
    study = _resolve(config)
    for name, point in study.points.items():
        messages += _job_errors(config, point) + _sampler_errors(config, point)
    if messages:
        return sorted(set(messages))
    from cldm.resources import memory_errors  # noqa: PLC0415 - psutil only once the rest is sound

    return sorted(set(memory_errors(config, study, memory_mb)))


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


def _string_keys(value: Any) -> Any:
    """The config without the entries whose keys are not strings (reported on their own: jsonschema
    would lose a null key from the path)."""
    if isinstance(value, dict):
        return {k: _string_keys(v) for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


@functools.cache
def _validator() -> Draft202012Validator:
    """The schema's validator, with 'integer' meaning a whole number written without a decimal point
    (4096.0 is refused: jobs pass it on to range() and numpy)."""
    strict = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, v: isinstance(v, int) and not isinstance(v, bool))
    return validators.extend(Draft202012Validator, type_checker=strict)(_schema())


@functools.cache
def _schema() -> dict:
    """config_schema(), built once (the validator's and the messages'; not to be changed)."""
    return config_schema()


def _accepts(parts: tuple, config: dict, message: str) -> str:
    """'; accepted: ...' for a non-finite number, from the schema at its path."""
    if "finite" not in message:
        return ""
    schema = _schema_at(parts, config)
    return f"; accepted: {accepted(schema)}" if isinstance(schema, dict) else ""


def _schema_at(parts: tuple, config: dict) -> dict | bool | None:
    """The schema of the value at `parts` (a model's parameter from MODELS), or None if none applies."""
    if len(parts) == 3 and parts[0] == "points" and parts[2] in physics_keys():
        point = config["points"].get(parts[1]) if isinstance(config["points"], dict) else None
        model = MODELS.get(point.get("model")) if isinstance(point, dict) and isinstance(point.get("model"), str) else None
        return model.params[parts[2]].schema if model and parts[2] in model.params else None
    schema = root = _schema()
    for p in parts:
        while isinstance(schema, dict) and ("$ref" in schema or "oneOf" in schema):
            schema = root["$defs"][schema["$ref"].split("/")[-1]] if "$ref" in schema else \
                next((s for s in schema["oneOf"] if s.get("type") != "null"), None)
        if not isinstance(schema, dict):
            return None
        if isinstance(p, str) and p in schema.get("properties", {}):
            schema = schema["properties"][p]
        elif isinstance(schema.get("additionalProperties"), dict):
            schema = schema["additionalProperties"]
        elif isinstance(p, int) and "items" in schema:
            schema = schema["items"]
        else:
            return None
    while isinstance(schema, dict) and "$ref" in schema:
        schema = root["$defs"][schema["$ref"].split("/")[-1]]
    return schema


def _where(config: dict, point: str, stage: str, key: str) -> str:
    """The key path a point's setting comes from: its own section, else the global one."""
    return f"points.{point}.{stage}.{key}" if key in config["points"][point].get(stage, {}) else f"{stage}.{key}"


def _job_errors(config: dict, point: Point) -> list[str]:
    """Every point: each of its training.ensemble members gets a share of at least 2 of the
    langevin.chains (one to train on, one to validate), and the share's training and validation
    samples (chains x langevin.samples, split by training.val_fraction) each hold a whole
    training.batch_size.

    What the jobs need of the settings together: `split.share_size`, `Training.data_problem`."""
    lv, tr, name = point.langevin, point.training, point.name
    chains, ensemble = _where(config, name, "langevin", "chains"), _where(config, name, "training", "ensemble")
    try:  # the last member's share is the smallest
        n_train, n_val = share_size(lv.chains, tr.ensemble, tr.ensemble - 1, tr.val_fraction)
    except ValueError as err:
        return [f"{chains}: {err} ({chains} = {lv.chains}, {ensemble} = {tr.ensemble})"]
    if problem := tr.data_problem(n_train * lv.samples, n_val * lv.samples):
        keys = (f"{chains} x {_where(config, name, 'langevin', 'samples')} / {ensemble}, split by "
                f"{_where(config, name, 'training', 'val_fraction')}")
        return [f"{_where(config, name, 'training', 'batch_size')}: the smallest ensemble member gets {problem} "
                f"({keys}: {lv.chains} x {lv.samples} / {tr.ensemble}, {tr.val_fraction}); lower batch_size or "
                f"raise chains or samples"]
    return []


def _sampler_errors(config: dict, point: Point) -> list[str]:
    """Every point: a sampler that needs an energy (sampling.sampler: mala, Metropolis-adjusted) is asked only
    of kinds with one (training.kind); where its models are Metropolis-adjusted (a kind with an energy,
    which is also sampled with mala), sampling.t_eps < sampling.mh_t_end < sampling.mh_t.

    The samplers' needs: `SamplerSpec.energy`, `cldm.dm.kinds.estimators`."""
    tr, sa, name = point.training, point.sampling, point.name
    sampler, kind = _where(config, name, "sampling", "sampler"), _where(config, name, "training", "kind")
    if SAMPLERS[sa.sampler].energy and (plain := [k for k in tr.kind if not KINDS[k].energy]):
        with_energy = [k for k, v in KINDS.items() if v.energy]
        return [f"{sampler}: {sa.sampler!r} needs a model with an energy, and {kind} = {list(tr.kind)} holds "
                f"{', '.join(map(repr, plain))} (kinds with one: {', '.join(with_energy)}; their models are sampled "
                f"with {MH_SAMPLER!r} anyway, next to the sampler asked)"]
    if any(e.metropolis for e in estimators(tr.kind, SAMPLERS[sa.sampler].energy)) and not sa.t_eps < sa.mh_t_end < sa.mh_t:
        return [f"{_where(config, name, 'sampling', 'mh_t_end')}: {sa.mh_t_end:g} is not between "
                f"{_where(config, name, 'sampling', 't_eps')} = {sa.t_eps:g} and "
                f"{_where(config, name, 'sampling', 'mh_t')} = {sa.mh_t:g} ({kind} = {list(tr.kind)} is sampled "
                f"with {MH_SAMPLER!r}: reverse SDE down to mh_t, Metropolis-adjusted levels down to mh_t_end, "
                "reverse SDE down to t_eps)"]
    return []


def _rule_errors(cls: type[Stage], values: dict) -> list[tuple[str, str]]:
    """(key, message) for the rules between fields that a section breaks."""
    try:
        cls.from_dict(values)
    except SettingsError as err:
        return err.problems
    return []


def load_study(config: Any, memory_mb: float | None = None) -> Study:
    """The study a config describes, every stage of every point resolved (defaults <- the global
    section <- the point's section). Raises CldmError listing every violation before any job
    (`memory_mb`: the memory a job may use; default: resources.max_mem_mb or this machine's)."""
    errors = config_errors(config, memory_mb)
    if errors:
        raise CldmError("invalid config:\n  " + "\n  ".join(errors))
    return _resolve(config)


def _resolve(config: dict) -> Study:
    points = {}
    for name, raw in config["points"].items():
        stages = {stage: cls.from_dict({**config.get(stage, {}), **raw.get(stage, {})}) for stage, cls in STAGES.items()}
        physics = {k: raw[k] for k in ("model", *physics_keys()) if k in raw}
        points[name] = Point(name, physics, raw.get("seed", config["seed"]), **stages)
    scans = {name: resolve_scan(name, raw, config) for name, raw in config.get("scans", {}).items()}
    scan_points = {spec.point(v): Point(spec.point(v), v.physics, spec.seed, spec.langevin, spec.training.plain(),
                                        spec.sampling) for spec in scans.values() for v in spec.values}
    return Study(points, config["seed"], Threads.from_dict(config.get("threads", {})), config.get("device", "auto"),
                 Resources.from_dict(config.get("resources", {})), scans, scan_points)


def schema_yaml() -> str:
    header = "# Generated from cldm/settings/ and cldm/physics/models.py by `python -m cldm.config`; do not edit.\n"
    return header + yaml.safe_dump(config_schema(), sort_keys=False, width=120, allow_unicode=True)


def checks() -> list:
    """What checks rules between keys, whose docstrings list them in the README: the stages' rules
    (where a section has any), the model classes with rules of their own (their class docstring),
    the jobs' needs and the memory."""
    from cldm.resources import memory_errors  # noqa: PLC0415

    stages = [cls.errors for cls in (*STAGES.values(), Threads, Resources) if cls.errors is not Stage.errors]
    models = [type(m) for m in MODELS.values() if type(m).errors is not Model.errors]
    return [*stages, *dict.fromkeys(models), _job_errors, _sampler_errors, memory_errors]


def markdown() -> str:
    """The README's block of validation rules (cldm.config_table)."""
    return config_table.markdown(config_schema(), MODELS, checks())


def main(argv: list[str]) -> None:
    if "--markdown" in argv:
        print(markdown())
    elif "--readme" in argv:
        with open("README.md") as f:
            text = config_table.replace_block(f.read(), markdown())  # the whole text before the file is opened
        with open("README.md.tmp", "w") as f:
            f.write(text)
        os.replace("README.md.tmp", "README.md")
    else:
        print(schema_yaml(), end="")


if __name__ == "__main__":
    main(sys.argv[1:])
