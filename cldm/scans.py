"""Parameter scans of the config (section `scans`): their schema and checks, and the values each
scan runs at.

A scan names a model, fixes some of its parameters and varies others, each given as
{train: [...], test: [...]}. With several varying parameters the lists pair up by position (value i
is (B_i, lam_i, ...)), so they must have equal lengths. Every training and test value gets a CL run
(the study's `langevin` rule, as an internal point named `scans/{scan}/{role}/{label}`); one
conditioned diffusion model is trained on the training values and sampled at every value and on a
dense grid. Roles: `train`, `test` (inside the training range, never seen by the model),
`extrapolation` (a test value outside the training range) and `grid` (no CL run).

Plain data and checks, torch-free: the config's validation imports it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cldm.physics.models import MODELS
from cldm.settings.langevin import Langevin
from cldm.settings.sampling import Sampling
from cldm.settings.scan import ConditionedTraining, Scan

ROLES = ("train", "test", "extrapolation", "grid")
CL_ROLES = ROLES[:3]
"""Roles of the values with a CL run."""
LISTS = ("train", "test")
RESULTS = "scans"
"""Directory of the scans under results/ (a point may not take this name while scans exist)."""
GRID_DIGITS = 6
"""Significant digits of a grid value (its label and parameters)."""


def scan_models() -> list[str]:
    """Models a scan can vary: those of one complex variable (the conditioned model samples (x, y))."""
    return [name for name, m in MODELS.items() if m.sites_key is None]


def scan_schema(stages: dict[str, dict]) -> dict:
    """The JSON schema of one scan entry, from MODELS and the settings: the model, each parameter a
    number (fixed) or {train, test} lists of numbers (varying), seed, the stage sections
    (`stages`: name -> schema; training is the conditioned model's) and the Scan settings."""
    model_rules = []
    for name in scan_models():
        params = MODELS[name].params
        model_rules.append({
            "if": {"properties": {"model": {"const": name}}, "required": ["model"]},
            "then": {
                "required": [k for k, p in params.items() if p.required],
                "properties": {k: _param_schema(params[k].schema) if k in params else False for k in _keys()},
            },
        })
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["model"],
        "description": "a parameter scan: one conditioned diffusion model across the varying parameters' values",
        "properties": {
            "model": {"enum": scan_models(), "description": "the model whose parameters the scan varies"},
            **{k: {"description": "a number (fixed), or {train: [...], test: [...]} (varying)"} for k in _keys()},
            "seed": {"type": "integer", "minimum": 0, "description": "this scan's seed (default: the study's)"},
            **stages,
            **Scan.schema()["properties"],
        },
        "allOf": model_rules,
    }


def _keys() -> tuple[str, ...]:
    return tuple(dict.fromkeys(k for name in scan_models() for k in MODELS[name].params))


def _param_schema(value: dict) -> dict:
    """A parameter of a scan: a value of the model's schema, or {train: [...], test: [...]} of them."""
    lists = {"type": "object", "additionalProperties": False, "required": ["train"],
             "properties": {"train": {"type": "array", "items": value,
                                      "description": "training values (at least two: they set the range of p)"},
                            "test": {"type": "array", "items": value,
                                     "description": "test values: CL references the model never sees"}}}
    return {"if": {"type": "object"}, "then": lists, "else": value}


def scan_errors(name: str, raw: dict) -> list[str]:
    """'scans.NAME.key: message' for what the schema cannot state (raw has passed the schema): at
    least one varying parameter; equal list lengths where several vary; no value twice; no test
    value equal to a training value."""
    where = f"scans.{name}"
    varying = [k for k, v in raw.items() if k in MODELS[raw["model"]].params and isinstance(v, dict)]
    if not varying:
        return [f"{where}: no parameter varies (fixed: {', '.join(k for k in raw if k in MODELS[raw['model']].params)}); "
                "give one as {train: [...], test: [...]}"]
    messages = [f"{where}.{k}.train: {raw[k]['train']!r} holds {len(raw[k]['train'])} value(s): a varying parameter "
                "needs at least two training values (they set the range over which p is normalised)"
                for k in varying if len(raw[k]["train"]) < 2]
    if messages:
        return messages
    for lst in LISTS:
        lengths = {k: len(raw[k].get(lst, [])) for k in varying}
        if len(set(lengths.values())) > 1:
            messages.append(f"{where}.{varying[-1]}.{lst}: {lengths[varying[-1]]} values, but {varying[0]}.{lst} has "
                            f"{lengths[varying[0]]}: several varying parameters pair up by position (equal lengths)")
    if messages:
        return messages
    points = {lst: list(zip(*(raw[k].get(lst, []) for k in varying))) for lst in LISTS}
    key = "/".join(varying)
    for lst in LISTS:
        for i, p in enumerate(points[lst]):
            if p in points[lst][:i]:
                messages.append(f"{where}.{key}.{lst}.{i}: {_show(p)} appears twice in {lst}")
    train = set(points["train"])
    for i, p in enumerate(points["test"]):
        if p in train:
            messages.append(f"{where}.{key}.test.{i}: {_show(p)} is also a training value (train: "
                            f"[{', '.join(_show(q) for q in points['train'])}]); test values must differ from every training value")
    for j, k in enumerate(varying):
        if len({q[j] for q in points["train"]}) < 2:
            messages.append(f"{where}.{k}.train: a single distinct value {points['train'][0][j]!r}: at least two are "
                            "needed (they set the range over which p is normalised)")
    return messages


def _show(p: tuple) -> str:
    return repr(p[0]) if len(p) == 1 else repr(p)


@dataclass(frozen=True)
class ScanValue:
    """One value of a scan: its label (e.g. 'B0.35'), role, the varying parameters' values, the full
    physics of the model there, and whether it lies inside the training range."""

    label: str
    role: str
    values: tuple[float, ...]
    physics: dict
    in_range: bool

    @property
    def seen(self) -> bool:
        """Whether the conditioned model learned from this value's CL samples."""
        return self.role == "train"


@dataclass(frozen=True)
class ScanSpec:
    """A resolved scan: model, fixed and varying parameters, its values (train, test and
    extrapolation, with CL runs) and grid, seed, and the settings of each stage."""

    name: str
    model: str
    varying: tuple[str, ...]
    values: tuple[ScanValue, ...]
    grid: tuple[ScanValue, ...]
    seed: int
    langevin: Langevin
    training: ConditionedTraining
    sampling: Sampling
    scan: Scan

    def point(self, value: ScanValue) -> str:
        """The internal point of a value: results/{point}/ holds its CL run (and cdm.npz)."""
        return f"{RESULTS}/{self.name}/{value.role}/{value.label}"

    def role(self, *roles: str) -> list[ScanValue]:
        """The values of these roles, in scan order (train, test and extrapolation as given; the grid)."""
        return [v for v in (*self.values, *self.grid) if v.role in roles]

    def find(self, role: str, label: str) -> ScanValue:
        (value,) = [v for v in self.role(role) if v.label == label]
        return value

    def params(self) -> list[str]:
        """The model's parameters the scan sets (fixed or varying; an optional one left out, e.g.
        lam_im, is not a column), in the model's order: the columns of the scan's tables."""
        return [k for k in MODELS[self.model].params if k in self.values[0].physics]

    def sampling_at(self, value: ScanValue) -> Sampling:
        """The sampling settings at a value: at a grid value, scan.grid_samples samples per member."""
        return dataclasses.replace(self.sampling, samples=self.scan.grid_samples) if value.role == "grid" else self.sampling

    def nearest_training(self, value: ScanValue) -> ScanValue:
        """The training value nearest to `value` in the normalised parameters (the lower one on a tie)."""
        train = self.role("train")
        d = [float(np.sum(((np.array(t.values) - value.values) / self.span()) ** 2)) for t in train]
        return train[int(np.argmin(d))]

    def baseline(self) -> list[ScanValue]:
        """The training values nearest to a test or extrapolation value, once each, in scan order:
        where per-point models are trained for the comparison (if scan.baseline)."""
        if not self.scan.baseline:
            return []
        near = {self.nearest_training(v).label for v in self.role("test", "extrapolation")}
        return [v for v in self.role("train") if v.label in near]

    def span(self) -> np.ndarray:
        """hi - lo of each varying parameter over the training values."""
        train = np.array([v.values for v in self.role("train")])
        return train.max(0) - train.min(0)

    def table(self) -> list[dict]:
        """Every value (CL values, then the grid) as plain data: label, role, values, physics,
        in_range; what the analysis jobs take as a parameter."""
        return [dataclasses.asdict(v) for v in (*self.values, *self.grid)]


def resolve_scan(name: str, raw: dict, config: dict) -> ScanSpec:
    """The scan of a config entry that passed config_errors: stage sections defaults <- the global
    section <- the scan's own; values labelled, with roles; the grid."""
    model = raw["model"]
    params = MODELS[model].params
    varying = tuple(k for k in params if isinstance(raw.get(k), dict))
    fixed = {k: raw[k] for k in params if k in raw and k not in varying}
    lists = {lst: [tuple(float(x) for x in p) for p in zip(*(raw[k].get(lst, []) for k in varying))] for lst in LISTS}
    train = np.array(lists["train"])
    lo, hi = train.min(0), train.max(0)

    def value(p: tuple[float, ...], role: str) -> ScanValue:
        inside = bool(np.all((lo <= p) & (p <= hi)))
        if role == "test" and not inside:
            role = "extrapolation"
        label = "_".join(f"{k}{x!r}" for k, x in zip(varying, p))
        return ScanValue(label, role, p, {"model": model, **fixed, **dict(zip(varying, p))}, inside)

    values = [value(p, "train") for p in lists["train"]] + [value(p, "test") for p in lists["test"]]
    every = np.array([v.values for v in values])
    settings = Scan.from_dict({k: raw[k] for k in Scan.__dataclass_fields__ if k in raw})
    grid = [tuple(float(f"{x:.{GRID_DIGITS}g}") for x in p)
            for p in np.linspace(every.min(0), every.max(0), settings.grid)]
    sections = {stage: {**config.get(stage, {}), **raw.get(stage, {})} for stage in ("langevin", "training", "sampling")}
    return ScanSpec(
        name, model, varying, tuple(values), tuple(dataclasses.replace(value(p, "grid"), role="grid") for p in grid),
        raw.get("seed", config["seed"]), Langevin.from_dict(sections["langevin"]),
        ConditionedTraining.from_dict(sections["training"]), Sampling.from_dict(sections["sampling"]), settings,
    )
