"""Hostile configs for the validator, and the two outcomes a config may have.

`configs()` draws a config from the generated JSON schema (every stage section, every model of
MODELS: new keys and models are covered without edits), biased to the bounds, and mutates it:
wrong types, missing and extra keys, boundary and non-finite numbers, strange point names, keys
that are not strings, values that are not JSON, structures that contain themselves.

`outcome(config)` runs what the Snakefile runs (`load_study`) and then asserts one of two outcomes:
'refused', a CldmError whose every line is 'key.path: message' naming a key, or 'accepted', a study
whose every job's parameters are finite and accepted by the library objects the job builds
(`check_jobs`). Any other exception escapes: the fuzzer found a crash.
Shared by tests/test_config_fuzz.py and benchmarks/fuzz_config.py.
"""

from __future__ import annotations

import ast
import copy
import datetime
import importlib
import inspect
import json
import math
import pkgutil
import re
from typing import Any

from hypothesis import strategies as st

import cldm
from cldm import CldmError
from cldm.analysis.split import held_out, member_chains, share_size
from cldm.config import POINT_NAME, STAGES, Study, config_schema, load_study
from cldm.config_messages import key_path
from cldm.dm.samplers import SAMPLERS
from cldm.physics.actions import make_action
from cldm.physics.langevin import simulate
from cldm.physics.models import MODELS, physics_keys
from cldm.provenance import derive_seed

# Hypothesis draws ~5% of its numbers and strings from the literals of the local modules loaded so far
# (its "local constants"), so the configs it draws depend on what the process has imported: every
# module of the library is imported here, before any draw, so that the tests that ran before in
# this process (another xdist worker's share, a -k selection) do not change the draws.
for _module in pkgutil.walk_packages(cldm.__path__, "cldm."):
    importlib.import_module(_module.name)

SCHEMA = config_schema()
SECTIONS = tuple(SCHEMA["properties"])
_BRACKET = r"""\[(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\]'"])*\]"""  # [name] as key_path writes it
LINE = re.compile(rf"^  (?P<path>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+|{_BRACKET})*): (?P<message>\S.*)$")

HOSTILE = [float("nan"), float("inf"), float("-inf"), "1e-3", "1.0e-3", "abc", "", None, [], {}, True, False, -1, 0,
           0.0, 1.5, 4096.0, 1e308, -1e308, 5e-324, 2**63, 2**64, 10**30, -(2**70), [float("nan")], {"x": 1},
           [1, "a"], datetime.date(2020, 1, 1), "gaussian", "null", ".nan"]
"""Values a config key may be given by mistake."""
NAMES = ["", "1a", "a b", "a/b", "a.b", "a:b", "ä", "-x", "_a", "x" * 300, "a\nb", "on", "all", "a*", "..", 1, 2.5,
         None, True, ("a", 1)]
"""Point names and keys that are not plain identifiers (or not strings at all)."""
EXTRA_KEYS = ["chian", "extra", "A", "B", "lam", "model", "seed", "langevin", "L", "lam_im", "kind", "", 1, None, True]


def _deref(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["$defs"][schema["$ref"].split("/")[-1]]
    return schema


def values(schema: dict) -> st.SearchStrategy:
    """Values that `schema` accepts: most often near the key's default (so that the rest of a config
    stays sound), else at or near its bounds, or anywhere in range (built once per schema)."""
    key = json.dumps(schema, sort_keys=True)
    if key not in _VALUES:
        _VALUES[key] = _values(schema, _default(schema))
    return _VALUES[key]


_VALUES: dict[str, st.SearchStrategy] = {}
_DEFAULT = re.compile(r"\(default: (.*)\)$", re.S)


def _default(schema: dict) -> Any:
    """The default a Stage knob states in its description, or None."""
    match = _DEFAULT.search(schema.get("description", ""))
    try:
        return ast.literal_eval(match[1]) if match else None
    except (ValueError, SyntaxError):
        return None


def _values(schema: dict, default: Any = None) -> st.SearchStrategy:
    schema = _deref(schema)
    if "oneOf" in schema:
        alternatives = [_values(s, default if isinstance(default, (int, float)) else None) for s in schema["oneOf"]]
        return st.one_of(*alternatives)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.text(max_size=8)
    if kind == "array":
        wide = st.lists(values(schema.get("items", {})), min_size=schema.get("minItems", 0), max_size=4,
                        unique=schema.get("uniqueItems", False))
        return st.one_of(st.just(default), wide) if isinstance(default, list) else wide
    if kind == "integer":
        lo = schema.get("minimum", -(2**31))
        step = schema.get("multipleOf", 1)
        wide = st.one_of(st.integers(lo, lo + 8), st.integers(lo, max(lo, 0) + 5000), st.integers(lo, 2**40), st.just(lo))
        near = st.sampled_from(sorted({default, 2 * default, default // 2})) if isinstance(default, int) else wide
        hi = schema.get("maximum", 2**62)
        return st.one_of(near, near, near, wide).map(lambda v: min(v, hi)).map(
            lambda v: v - v % step if step > 1 else v).filter(lambda v: lo <= v <= hi and v % step == 0)
    if kind == "number":
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        hi = schema.get("maximum", schema.get("exclusiveMaximum"))
        edges = [v for v in (lo, hi) if v is not None]
        near_edges = [e + d for e in edges for d in (-1e-12, 1e-300, 1e-9, 1e-3, 1.0)] + [5e-324, 1e-300, 1e300]
        edge = st.sampled_from([v for v in near_edges if _in_range(v, schema)])
        wide = st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False,
                         exclude_min="exclusiveMinimum" in schema and lo is not None,
                         exclude_max="exclusiveMaximum" in schema and hi is not None)
        moderate = st.sampled_from([v for v in (0.5, 1.0, 2.0, -1.0, 0.1) if _in_range(v, schema)] or [lo])
        if isinstance(default, (int, float)) and default:
            near = st.sampled_from([0.5, 1.0, 2.0]).map(lambda f: default * f).filter(lambda v: _in_range(v, schema))
        else:
            near = moderate
        return st.one_of(near, near, near, near, near, moderate, edge, wide)
    return st.none()


def _in_range(v: float, schema: dict) -> bool:
    return all((
        "minimum" not in schema or v >= schema["minimum"],
        "exclusiveMinimum" not in schema or v > schema["exclusiveMinimum"],
        "maximum" not in schema or v <= schema["maximum"],
        "exclusiveMaximum" not in schema or v < schema["exclusiveMaximum"],
    ))


@st.composite
def sections(draw, schema: dict, p: float = 0.2) -> dict:
    """A stage section with each key present with probability p (absent keys take their defaults)."""
    props = _deref(schema)["properties"]
    return {k: draw(values(s)) for k, s in props.items() if draw(st.floats(0, 1)) < p}


@st.composite
def points(draw) -> dict:
    model = draw(st.sampled_from(list(MODELS)))
    point = {"model": model, **{k: draw(values(p.schema)) for k, p in MODELS[model].params.items()
                                if p.required or draw(st.booleans())}}
    if draw(st.floats(0, 1)) < 0.2:
        point["seed"] = draw(values(SCHEMA["$defs"]["point"]["properties"]["seed"]))
    for stage in STAGES:
        if draw(st.floats(0, 1)) < 0.15:
            point[stage] = draw(sections(SCHEMA["$defs"][stage], 0.2))
    return point


NAME = st.from_regex(POINT_NAME, fullmatch=True).filter(lambda s: len(s) < 20)


@st.composite
def sound_configs(draw) -> dict:
    """A config drawn from the schema (most keys left to their defaults)."""
    names = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    config = {"points": {n: draw(points()) for n in names}, "seed": draw(values(SCHEMA["properties"]["seed"]))}
    for name, schema in SCHEMA["properties"].items():
        if name in ("points", "seed", "scans") or draw(st.floats(0, 1)) < 0.5:  # scans: tests/test_scans.py
            continue
        config[name] = draw(sections(schema) if _deref(schema).get("type") == "object" else values(schema))
    return config


def paths(value: Any, parts: tuple = (), stack: frozenset = frozenset()) -> list[tuple]:
    """Every key path of a config (not the root; not into a structure that contains itself)."""
    if id(value) in stack:
        return []
    out = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for k, v in items:
        out.append(parts + (k,))
        out += paths(v, parts + (k,), stack | {id(value)})
    return out


def _parent(config: dict, parts: tuple) -> Any:
    node = config
    for p in parts[:-1]:
        node = node[p]
    return node


def _set(draw, config):
    target = draw(st.sampled_from(paths(config)))
    _parent(config, target)[target[-1]] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))


def _non_finite(draw, config):
    """A number of the config made NaN or infinite (where the schema's bounds alone would let it pass)."""
    numbers = [p for p in paths(config) if type(_parent(config, p)[p[-1]]) in (int, float)]
    if numbers:
        target = draw(st.sampled_from(numbers))
        _parent(config, target)[target[-1]] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))


def _delete(draw, config):
    target = draw(st.sampled_from(paths(config)))
    parent = _parent(config, target)
    del parent[target[-1]]


def _extra(draw, config):
    dicts = [()] + [p for p in paths(config) if isinstance(_parent(config, p + (0,)), dict)]
    where = draw(st.sampled_from(dicts))
    node = config
    for p in where:
        node = node[p]
    node[draw(st.sampled_from(EXTRA_KEYS))] = copy.deepcopy(draw(st.sampled_from(HOSTILE[:12] + [1.0, 3])))


def _rename(draw, config):
    if isinstance(config.get("points"), dict) and config["points"]:
        old = draw(st.sampled_from(list(config["points"])))
        config["points"][draw(st.sampled_from(NAMES))] = config["points"].pop(old)


def _points(draw, config):
    config["points"] = draw(st.sampled_from([None, [], "gaussian", {}, 3, [{"model": "gaussian", "A": 1.0, "B": 1.0}]]))


def _point(draw, config):
    if isinstance(config.get("points"), dict) and config["points"]:
        name = draw(st.sampled_from(list(config["points"])))
        config["points"][name] = draw(st.sampled_from([None, 3, "quartic", [], {}, {"model": None}, {"A": 1.0}]))


def _model(draw, config):
    if isinstance(config.get("points"), dict) and config["points"]:
        point = config["points"][draw(st.sampled_from(list(config["points"])))]
        if isinstance(point, dict):
            point["model"] = draw(st.sampled_from([3, None, ["gaussian"], "cubic", "Gaussian", {"a": 1}, 1.5,
                                                   *MODELS]))


def _other_params(draw, config):
    """Another model's parameter, or a parameter at its boundary."""
    if isinstance(config.get("points"), dict) and config["points"]:
        point = config["points"][draw(st.sampled_from(list(config["points"])))]
        if isinstance(point, dict):
            point[draw(st.sampled_from(physics_keys()))] = draw(st.sampled_from([0.0, -1.0, 1.0, 5e-324, 1e308, -0.0]))


def _section(draw, config):
    config[draw(st.sampled_from(SECTIONS))] = draw(st.sampled_from([None, [], 3, "x", {}, {"x": 1}]))


def _cycle(draw, config):
    loop: list = [1.0]
    loop.append(loop)
    target = draw(st.sampled_from(paths(config) or [("langevin",)]))
    try:
        _parent(config, target)[target[-1]] = loop
    except (TypeError, KeyError):
        config["langevin"] = {"step_scan": loop}


MUTATIONS = (_set, _set, _non_finite, _non_finite, _delete, _extra, _rename, _points, _point, _model, _other_params, _section, _cycle)


@st.composite
def configs(draw, max_mutations: int = 3) -> dict:
    """A config from the schema with 0..max_mutations hostile mutations (most often one)."""
    # a copy: the mutations write into it, and a drawn value may be a strategy's own object (st.just(default)
    # of a list), which later draws, and later tests in this process, would otherwise see mutated
    config = copy.deepcopy(draw(sound_configs()))
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, *range(2, max_mutations + 1)]))):  # mostly one: the
        # rest of the config sound, so that the validator alone stands between it and a planned job
        if not paths(config):
            break
        draw(st.sampled_from(MUTATIONS))(draw, config)
    return config


# ---- the two outcomes ----------------------------------------------------------------------------


def outcome(config: Any, memory_mb: float | None = None) -> tuple[str, Study | str]:
    """('refused', message) or ('accepted', study); AssertionError if neither holds cleanly."""
    try:
        study = load_study(config, memory_mb)
    except CldmError as err:
        check_refusal(str(err), config)
        return "refused", str(err)
    check_jobs(study)
    return "accepted", study


def check_refusal(message: str, config: Any) -> None:
    """'invalid config:' and then one line per problem, '  key.path: message', the path starting at
    a key of the config or of the schema."""
    head, *lines = message.split("\n")
    assert head == "invalid config:" and lines, message
    roots = {key_path((k,), config) for k in config} if isinstance(config, dict) else set()
    roots |= set(SECTIONS) | {"config"}  # a default's key (memory) or the whole config
    for line in lines:
        match = LINE.match(line)
        assert match, f"not 'key.path: message': {line!r}"
        path = match["path"]
        assert any(path == r or path.startswith((f"{r}.", f"{r}[")) for r in roots), f"{line!r} names no key"
        assert "Traceback" not in line and len(line) < 600, line


def check_jobs(study: Study) -> None:
    """Build what every job of the study builds from its parameters, and check they are finite."""
    import torch  # noqa: PLC0415 - the library objects of the train and sample jobs

    from cldm.dm.model import ScoreNet  # noqa: PLC0415
    from cldm.dm.sde import VESDE  # noqa: PLC0415

    for name, p in study.points.items():
        assert len(name.encode()) < 255 and re.fullmatch(r"[A-Za-z0-9_-]+", name), name  # results/{name}/ is a directory
        lv, tr, sa = p.langevin, p.training, p.sampling
        _finite({"physics": p.physics, "langevin": lv.as_dict(), "training": tr.as_dict(), "sampling": sa.params(),
                 "seed": p.seed, "threads": study.threads.as_dict()}, name)
        action = make_action(**p.physics)  # langevin, moments, figures
        for step in (lv.step, *(lv.step * f for f in lv.step_scan)):  # simulate's checks of the run and the scan
            assert simulate(action, **lv.engine(chains=0, step=step), seed=0).shape[:2] == (0, lv.samples)  # (, sites)
        for k in sorted({0, tr.ensemble - 1}):  # train: the largest and smallest share
            n_train, n_val = share_size(lv.chains, tr.ensemble, k, tr.val_fraction)
            if lv.chains <= 10**6:
                train_idx, val_idx = member_chains(lv.chains, tr.ensemble, k, tr.val_fraction)
                assert (len(train_idx), len(val_idx)) == (n_train, n_val)
            assert tr.data_problem(n_train * lv.samples, n_val * lv.samples) is None
        if lv.chains <= 10**6 and tr.ensemble <= 100:
            assert len(held_out(lv.chains, tr.ensemble, tr.val_fraction)) > 0  # quality
        sde = VESDE(tr.alpha)
        levels = sde.sigma(torch.tensor([tr.t_eps, sa.t_eps, 1.0], dtype=torch.float32))  # train and sample in float32
        assert torch.isfinite(levels).all() and (levels > 0).all(), (tr.alpha, tr.t_eps, sa.t_eps, levels)
        mean, chol = torch.zeros(2), torch.eye(2)
        with torch.device("meta"):  # the network, without its memory
            ScoreNet(sde, mean, chol, tr.hidden, tr.embed_dim, tr.embed_scale)
        solver = SAMPLERS[sa.sampler]
        inspect.signature(solver.load()).bind(None, sde, None, sa.steps, None, **sa.options())
        assert solver.nfe(sa.steps) > 0
        for stage in ("langevin", "train", "sample", "quality"):
            assert 0 <= derive_seed(p.seed, stage, name, 0) < 2**32


def _finite(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _finite(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _finite(v, f"{where}.{i}")
    elif isinstance(value, float):
        assert math.isfinite(value), f"{where} = {value} planned"
    elif isinstance(value, int) and not isinstance(value, bool):
        assert -(2**63) <= value < 2**63, f"{where} = {value} planned"
