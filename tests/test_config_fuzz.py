"""Property: every config is either refused naming a key, or plans a sound study (tests/config_fuzz.py).

The in-process check runs a few hundred configs (fixed seed: derandomize); the slow test proves
on a fixed sample of them that Snakemake's dry run does what the in-process path says.
"""

import re

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings

from cldm.resources import mem_mb
from config_fuzz import configs, outcome
from workflow_helpers import scratch_copy, snakemake

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


def test_the_fuzzer_finds_both_outcomes_and_nothing_else():
    """300 schema-drawn, mutated configs: each is refused with one 'key.path: message' line per
    problem, or accepted with every job's parameters finite and accepted by the library objects the
    jobs build; no other exception (outcome() lets it escape)."""
    seen = {"accepted": 0, "refused": 0}

    @FUZZ
    @given(configs())
    def run(config):
        seen[outcome(config)[0]] += 1

    run()
    # each outcome at least 5% of the draws (the quartic model's A of any sign and the chain model
    # made sound draws rarer: 22 of 300 accepted at this seed)
    assert seen["accepted"] >= 15 and seen["refused"] >= 15, seen


YAML_SAFE = (type(None), bool, int, float, str, list, dict)


def _dumpable(value) -> bool:
    """Plain YAML: what a user can write in a config file (no cycles, no Python objects)."""
    try:
        return yaml.load(yaml.safe_dump(value), Loader=yaml.FullLoader) is not None
    except (yaml.YAMLError, RecursionError, TypeError):
        return False


@pytest.mark.slow
def test_snakemake_dry_runs_agree_with_the_in_process_outcome(tmp_path):
    """For the first 3 accepted and 3 refused configs the fuzzer draws (as YAML files, read back the
    way Snakemake reads them): the dry run plans one langevin job per point, or fails before any
    job with the refusal's lines and no traceback; each langevin job asks for the estimated mem_mb."""
    work = scratch_copy(tmp_path / "repo")
    wanted = {"accepted": 3, "refused": 3}
    checked = []

    @settings(FUZZ, max_examples=200, phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: it
    # would rerun Snakemake; a failure here is reproduced in process by its config
    @given(configs())
    def run(config):
        if not isinstance(config, dict) or not _dumpable(config):
            return
        text = yaml.safe_dump(config)
        reread = yaml.load(text, Loader=yaml.FullLoader)  # Snakemake's loader (yte)
        kind, result = outcome(reread)
        if wanted[kind] == 0:
            return
        wanted[kind] -= 1
        (work / "config/config.yaml").write_text(text)
        proc = snakemake(work, "--dry-run", "--cores", "1", check=False, timeout=120)
        out = proc.stdout + proc.stderr
        assert "Traceback" not in out and 'File "' not in out, out[-3000:]
        if kind == "refused":
            assert proc.returncode != 0, out[-2000:]
            for line in result.split("\n"):
                assert line.strip() in out, (line, out[-3000:])
        else:
            assert proc.returncode == 0, out[-3000:]
            jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", out[out.index("Job stats:"):], re.M))
            assert int(jobs["langevin"]) == len(result.points), out[-2000:]
            asked = re.findall(r"rule langevin:\n.*?resources: [^\n]*mem_mb=(\d+)", out, re.S)
            assert sorted(map(int, asked)) == sorted(mem_mb(p, "langevin") for p in result.points.values()), asked
        checked.append(kind)

    run()
    assert sorted(checked) == ["accepted"] * 3 + ["refused"] * 3, checked
