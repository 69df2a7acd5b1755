"""Every benchmark script imports against today's library (they are run by hand, not by the suite:
an import broken by a refactor would otherwise show only then)."""

import importlib.util

import pytest

from workflow_helpers import REPO

SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_benchmark_imports(path):
    text = path.read_text()
    assert 'if __name__ == "__main__":' in text, "a benchmark runs only as a script"
    spec = importlib.util.spec_from_file_location(f"benchmark_{path.stem}", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
