"""A long run of the config fuzzer (tests/config_fuzz.py): schema-drawn, mutated configs through
load_study, each refused naming a key or accepted with every job's parameters sound. Prints JSON:
examples run, accepted, refused, the failures (none expected: each is a crash or an unsound plan,
with the config that caused it), the most frequent refusals and the time per example.

    .venv/bin/python benchmarks/fuzz_config.py [--examples 5000] [--seed 0] [--mutations 3]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
import traceback
import warnings
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings, seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from config_fuzz import configs, outcome  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (the test uses derandomize)")
    parser.add_argument("--mutations", type=int, default=3, help="at most this many mutations per config")
    args = parser.parse_args()
    counts: collections.Counter = collections.Counter()
    refusals: collections.Counter = collections.Counter()
    failures: dict[str, dict] = {}

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(configs(args.mutations))
    def run(config):
        try:
            kind, result = outcome(config)
        except Exception as err:  # noqa: BLE001 - a finding: recorded with its config, the run goes on
            key = f"{type(err).__name__}: {str(err)[:120]}"
            failures.setdefault(key, dict(config=repr(config)[:2000], traceback=traceback.format_exc()[-2000:]))
            counts["failed"] += 1
            return
        counts[kind] += 1
        if kind == "refused":
            for line in result.split("\n")[1:]:
                refusals[re.sub(r"(?<![A-Za-z_])-?[0-9][-+0-9.e]*|'[^']*'|point [A-Za-z0-9_-]+", "#", line.split(": ", 1)[1])[:90]] += 1

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run()
    seconds = time.perf_counter() - start
    examples = sum(counts.values())
    print(json.dumps(dict(examples=examples, accepted=counts["accepted"], refused=counts["refused"],
                          failed=counts["failed"], seconds=round(seconds, 1),
                          ms_per_example=round(1000 * seconds / max(1, examples), 1),
                          top_refusals=dict(refusals.most_common(15)), failures=failures), indent=1))


if __name__ == "__main__":
    main()
