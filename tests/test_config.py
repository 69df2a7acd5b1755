"""Hostile configs, one by one: non-finite numbers everywhere, strings that YAML did not read as
numbers, crashes the fuzzer found, rules between keys, memory, and the README's table of keys."""

import copy
import math
import re

import pytest
import yaml

from cldm import CldmError
from cldm.config import Resources, config_errors, config_schema, load_study, markdown
from cldm.config_table import BEGIN, END
from cldm.physics.langevin import simulate
from cldm.physics.actions import make_action
from cldm.resources import estimates, machine_mb, mem_mb
from cldm.settings.langevin import Langevin
from cldm.settings.training import Training
from workflow_helpers import REPO

BASE = yaml.safe_load((REPO / "config/config.yaml").read_text())
TOY = {**BASE, **yaml.safe_load((REPO / "config/test.yaml").read_text())}
SCHEMA = config_schema()


def errors_of(yaml_text: str, base: dict = BASE) -> list[str]:
    """The errors of the config `base` updated with the YAML text (section by section)."""
    config = copy.deepcopy(base)
    for key, value in yaml.safe_load(yaml_text).items():
        config[key] = {**config[key], **value} if isinstance(config.get(key), dict) and isinstance(value, dict) \
            else value
    return config_errors(config)


def _sections() -> list[tuple[str, str, dict]]:
    """(section, key, schema) of every key of every section (stages, threads, resources)."""
    out = []
    for section, sub in SCHEMA["properties"].items():
        sub = SCHEMA["$defs"][sub["$ref"].split("/")[-1]] if "$ref" in sub else sub
        if sub.get("type") == "object" and "properties" in sub:
            out += [(section, key, s) for key, s in sub["properties"].items()]
    return out


NON_FINITE = [".nan", ".inf", "-.inf", ".NaN", "-.Inf"]


@pytest.mark.parametrize("spelling", NON_FINITE)
@pytest.mark.parametrize("section, key", [(s, k) for s, k, _ in _sections()])
def test_non_finite_numbers_are_refused_in_every_key_of_every_section(section, key, spelling):
    """Every key, whatever its type: as a value, inside a list, and inside a point's own section."""
    text = yaml.safe_load(f"x: {spelling}")["x"]
    assert isinstance(text, float) and not math.isfinite(text)
    assert any(e.startswith(f"{section}.{key}: {spelling.lower()}") and "is not a finite number" in e
               for e in errors_of(f"{section}: {{{key}: {spelling}}}")), (section, key)
    assert any(e.startswith(f"{section}.{key}.1: ") and "not a finite number" in e
               for e in errors_of(f"{section}: {{{key}: [2.0, {spelling}]}}"))
    if section in ("langevin", "training", "sampling"):
        errors = errors_of(f"points: {{q: {{model: quartic, A: 1.0, B: 1.0, lam: 1.0, {section}: {{{key}: {spelling}}}}}}}")
        assert any(e.startswith(f"points.q.{section}.{key}: ") and "not a finite number" in e for e in errors)


@pytest.mark.parametrize("spelling", NON_FINITE)
@pytest.mark.parametrize("key", ["A", "B", "lam", "seed"])
def test_non_finite_physics_and_seeds_are_refused_with_what_is_accepted(key, spelling):
    errors = errors_of(f"points: {{q: {{model: quartic, A: 1.0, B: 1.0, lam: 1.0, {key}: {spelling}}}}}")
    [line] = [e for e in errors if e.startswith(f"points.q.{key}: ")]
    assert "is not a finite number" in line and "accepted: " in line, line
    assert any(e.startswith("seed: ") for e in errors_of(f"seed: {spelling}"))


def test_a_nan_point_is_refused_before_the_langevin_job_would_report_a_runaway():
    """The issue's report: A: .nan was planned, and the CL job failed as a 'runaway'."""
    with pytest.raises(CldmError, match=r"points\.gaussian\.A: \.nan is not a finite number; accepted: a number > 0"):
        load_study(yaml.safe_load("points: {gaussian: {model: gaussian, A: .nan, B: 1.0}}\nseed: 1"))


@pytest.mark.parametrize("text, line", [
    ("points: {q: {model: quartic, A: 1.0, B: 1.0, lam: 1e-3}}",
     "points.q.lam: '1e-3' is a string, expected a number > 0 (YAML reads 1e-3 without a dot as a string: write 1.0e-3)"),
    ("langevin: {step: 5E-3}", "langevin.step: '5E-3' is a string, expected a number > 0 (YAML reads 5E-3 without a "
                               "dot as a string: write 5.0e-3)"),
    ("langevin: {kref: 2e1}", "langevin.kref: '2e1' is a string, expected null or a number > 0 (YAML reads 2e1 "
                              "without a dot as a string: write 2.0e1)"),
    ("langevin: {step_scan: [2e0]}", "langevin.step_scan.0: '2e0' is a string, expected a number > 1 (YAML reads 2e0 "
                                     "without a dot as a string: write 2.0e0)"),
    ("langevin: {chains: 4096.0}", "langevin.chains: 4096.0 is a number, expected an integer >= 1 (write 4096, without "
                                   "the decimal point)"),
    ("langevin: {chains: '4096'}", "langevin.chains: '4096' is a string, expected an integer >= 1 (quoted: write 4096 "
                                   "without quotes)"),
])
def test_numbers_yaml_read_as_strings_are_refused_with_the_fix(text, line):
    assert line in errors_of(text), errors_of(text)


@pytest.mark.parametrize("config, line", [
    ({"points": None, "seed": 1}, "points: is empty (null), expected a mapping"),
    ({"points": {"q": 3}, "seed": 1}, "points.q: 3 is an integer, expected a mapping"),
    ({"points": {"q": {"model": 3, "A": 1.0, "B": 1.0}}, "seed": 1},
     "points.q.model: 3 is not accepted; accepted: one of 'gaussian', 'quartic'"),
    ({"points": {"q": {"model": ["gaussian"], "A": 1.0, "B": 1.0}}, "seed": 1},
     "points.q.model: ['gaussian'] is not accepted; accepted: one of 'gaussian', 'quartic'"),
    ({"points": {1: {"model": "gaussian", "A": 1.0, "B": 1.0}}, "seed": 1},
     "points[1]: the key 1 is an integer, not a string: quote it"),
    ({"points": {True: {"model": "gaussian", "A": 1.0, "B": 1.0}}, "seed": 1},
     "points[true]: the key true is a boolean, not a string: quote it"),
    ({"points": {"g": {"model": "gaussian", "A": 1.0, "B": 1.0}}, "seed": 1, None: 3},
     "config[null]: the key null is null, not a string: quote it"),
    ({"points": {"1g": {"model": "gaussian", "A": 1.0, "B": 1.0}}, "seed": 1},
     "points.1g: '1g' is not an accepted name; a point's name names its directory and wildcards"),
    ({"points": {"x" * 101: {"model": "gaussian", "A": 1.0, "B": 1.0}}, "seed": 1},
     f"points.{'x' * 101}: 'xxxx"),  # a directory name: file systems refuse 255 bytes and more
    ({"points": {"x" * 300: {}}, "seed": 1},  # found by the fuzzer: the name twice made a line of 650 characters
     f"points['{'x' * 55} ...'].model: missing; points['{'x' * 55} ...'] needs: model"),
    ({"points": {"a b": {"model": "gaussian", "A": 1.0, "B": 1.0}}, "seed": 1},
     "points['a b']: 'a b' is not an accepted name"),
    ({"points": {"g": {"model": "gaussian", "A": 1.0, "B": 10**30}}, "seed": 1},
     "points.g.B: 1000000000000000000000000000000 is beyond the range of a 64-bit integer"),
    ({"points": {"g": {"model": "gaussian", "A": 1.0, "B": (1, 2)}}, "seed": 1},
     "points.g.B: (1, 2) is a tuple, not a JSON value"),
    ({"points": {"g": {"model": "gaussian", "A": 1.0, "B": 1.0}}, "seed": True},
     "seed: true is a boolean, expected an integer >= 0"),
    ({"points": {"g": {"model": "gaussian", "A": 1.0, "B": 1.0}}, "seed": 1, "langevin": None},
     "langevin: is empty (null), expected a mapping"),
    ([1, 2], "config: [1, 2] is not a mapping of sections"),
])
def test_configs_that_crashed_the_validator_are_refused_by_name(config, line):
    """Each of these raised TypeError, KeyError or RecursionError before (points: null, a point
    that is not a mapping, a model that is not a string, keys that are not strings, ...)."""
    with pytest.raises(CldmError) as err:
        load_study(config)
    assert any(row.strip().startswith(line) for row in str(err.value).split("\n")), str(err.value)


def test_a_structure_that_contains_itself_is_refused():
    scan: list = [2.0]
    scan.append(scan)
    errors = config_errors({**BASE, "langevin": {"step_scan": scan}})
    assert errors == ["langevin.step_scan.1: contains itself (a YAML alias inside its own anchor)"]


def test_unknown_keys_name_the_section_and_a_close_key():
    [line] = errors_of("training: {batchsize: 512}")
    assert line.startswith("training.batchsize: unknown key; did you mean 'batch_size'? training takes: ensemble,")


def test_a_fixed_step_must_divide_the_interval_in_the_run_and_in_the_step_scan():
    """simulate refuses such a schedule; the config check names the key that breaks it."""
    assert errors_of("langevin: {kref: null, step_scan: [3.0]}") == [
        "langevin.step_scan: interval 0.1 is not a multiple of the step 0.015 (a fixed step: kref null), in the "
        "step-scan run at step x 3"]
    assert errors_of("langevin: {kref: null, step_scan: [2.0]}") == []
    with pytest.raises(ValueError, match="interval 0.1 is not a multiple of the step 0.015"):
        simulate(make_action("gaussian", 1.0, 1.0), **{**Langevin().engine(chains=1), "kref": None, "eps": 0.015})
    assert errors_of("langevin: {therm: 1.0e+308, interval: 1.0e-10}")[0].startswith(
        "langevin.therm: therm / interval = 1e+308 / 1e-10 is not a finite number of intervals")


def test_every_member_needs_two_chains_and_a_batch_of_points():
    assert errors_of("langevin: {chains: 7}") == [
        "langevin.chains: 7 chains are too few for an ensemble of 4 with a validation split (member 3 gets 1; each "
        "needs 2: at least 8 chains) (langevin.chains = 7, training.ensemble = 4)"]
    batch = Training().batch_size
    assert errors_of(f"langevin: {{chains: 8, samples: {batch}}}") == []  # 1 training, 1 validation chain of a batch
    assert errors_of(f"langevin: {{chains: 8, samples: {batch - 1}}}")[0].startswith(
        f"training.batch_size: the smallest ensemble member gets {batch - 1} training and {batch - 1} validation points: "
        f"fewer than batch_size {batch}")
    assert errors_of("points: {q: {model: gaussian, A: 1.0, B: 1.0, langevin: {chains: 7}}}")[0].startswith(
        "points.q.langevin.chains: 7 chains are too few")


# ---- memory --------------------------------------------------------------------------------------


def test_a_cl_array_larger_than_this_machine_is_refused_naming_its_keys():
    chains, samples = 10**6, math.ceil(machine_mb() * 1e6 / 16 / 10**6) + 1  # the samples alone exceed the memory
    [line, *_] = errors_of(f"langevin: {{chains: {chains}, samples: {samples}}}")
    assert line.startswith("langevin.chains: the ") and "(langevin.chains x langevin.samples)" in line
    assert f"{chains} x {samples} complex128 CL samples" in line and "this machine's memory" in line
    assert "lower langevin.chains or langevin.samples" in line
    with pytest.raises(CldmError, match="points.big.langevin.chains: the "):
        load_study({**BASE, "points": {"big": {"model": "gaussian", "A": 1.0, "B": 1.0,
                                                "langevin": {"chains": chains, "samples": samples}}}})


def test_the_default_and_toy_configs_fit_this_machine_and_a_small_node():
    for config in (BASE, TOY):
        assert config_errors(config) == []
        study = load_study(config, memory_mb=4000)  # every job fits in 4 GB
        for point in study.points.values():
            assert max(e.mem_mb for e in estimates(point).values()) < 4000


def test_a_cluster_limit_refuses_by_the_same_estimate():
    """resources.max_mem_mb is the limit a job may use on a cluster, whatever this machine has."""
    worst = max(e.mem_mb for e in estimates(load_study(BASE).points["quartic"]).values())
    assert errors_of(f"resources: {{max_mem_mb: {worst}}}") == []
    [line, _] = errors_of(f"resources: {{max_mem_mb: {worst - 1}}}")
    assert re.match(r"[a-z_.]+: the \w+ job of point \w+ needs ~[\d,]+ MB for ", line), line
    assert "of resources.max_mem_mb" in line
    assert load_study({**BASE, "resources": {"max_mem_mb": 10**9}}).resources == Resources(max_mem_mb=10**9)


def test_the_estimate_grows_with_the_arrays_it_names():
    small = load_study(TOY).points["quartic"]
    big = load_study({**TOY, "langevin": {**TOY["langevin"], "chains": 64 * 100}}).points["quartic"]
    wide = load_study({**TOY, "training": {**TOY["training"], "hidden": [4096, 4096]}}).points["quartic"]
    assert mem_mb(big, "langevin") - mem_mb(small, "langevin") >= 6 * (6400 - 64) * 200 * 16 / 1e6  # 6 copies of z
    assert mem_mb(wide, "train") > mem_mb(small, "train") + 4096 * 4096 * 4 * 5 / 1e6
    assert estimates(big)["langevin"].output_mb == pytest.approx(6400 * 200 * 16 / 1e6)


# ---- the README ------------------------------------------------------------------------------------


def test_the_readme_lists_every_key_and_rule_as_generated():
    """README.md's block between the markers is `python -m cldm.config --markdown`: regenerate it
    with `python -m cldm.config --readme` after changing a setting, a model or a check."""
    text = (REPO / "README.md").read_text()
    assert text[text.index(BEGIN): text.index(END) + len(END)] == markdown()
    for section, key, _ in _sections():
        assert f"| {section} | `{key}` |" in text
