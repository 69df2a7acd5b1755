"""The README's set-up installs requirements.txt alone (the package itself with --no-deps): every
dependency that pyproject.toml declares must be pinned there (a lost pin left a fresh venv without
Snakemake, and every workflow test failed in CI); and the test dependencies do what the suite needs of them."""

import os
import re
import subprocess
import sys
import tomllib

import pytest

from workflow_helpers import REPO


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_declared_dependency_is_pinned_in_requirements():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(r for extra in project.get("optional-dependencies", {}).values() for r in extra)]
    pins = {_name(line): line for line in (REPO / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")}
    assert all("==" in line for line in pins.values()), [line for line in pins.values() if "==" not in line]
    missing = [r for r in declared if _name(r) not in pins]
    assert not missing, f"declared in pyproject.toml, not pinned in requirements.txt: {missing}"


@pytest.mark.slow
def test_tests_that_share_a_fixture_run_on_one_worker(tmp_path):
    """The suite's two xdist workers build each session and module fixture once (tests/xdist_groups.py):
    two modules of four tests each share a session fixture that records every build; plain `--dist
    load`, or pytest 9.2 with pytest-xdist 3.8, builds it on both workers. A fixture made `once_per_run`
    (`build_once`: the toy study) is built once too, without grouping its tests."""
    suite = tmp_path / "suite"  # the fixture's base id: pytest's own fixtures are not grouped
    suite.mkdir()
    (suite / "conftest.py").write_text(
        "import os, pytest\n"
        "from xdist_groups import build_once, group_by_shared_fixture, once_per_run\n"
        "pytest_collection_modifyitems = pytest.hookimpl(tryfirst=True)(group_by_shared_fixture)\n"
        "def record(name):\n"
        f"    open(os.path.join({str(tmp_path)!r}, name), 'a').write(os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n"
        "@pytest.fixture(scope='session')\n"
        "def built():\n"
        "    record('builds')\n"
        "@pytest.fixture(scope='session')\n"
        "@once_per_run\n"
        "def shared(tmp_path_factory):\n"
        "    return build_once(tmp_path_factory, 'shared', lambda path: record('shared_builds'))\n")
    for name in ("a", "b"):
        (suite / f"test_{name}.py").write_text(
            "import pytest\n@pytest.mark.parametrize('i', range(4))\ndef test_uses(built, i):\n    pass\n"
            "@pytest.mark.parametrize('i', range(4))\ndef test_reads(shared, i):\n    pass\n"
            "@pytest.mark.parametrize('i', range(4))\ndef test_plain(i):\n    pass\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
                           "-v", "-c", os.devnull, "--rootdir", str(tmp_path), str(suite)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "24 passed" in proc.stdout, proc.stdout[-3000:]
    assert len((tmp_path / "builds").read_text().split()) == 1, (tmp_path / "builds").read_text()
    assert len((tmp_path / "shared_builds").read_text().split()) == 1, (tmp_path / "shared_builds").read_text()
    reads = [line for line in proc.stdout.splitlines() if "PASSED" in line and "test_reads" in line]
    assert len(reads) == 8 and not any("@" in line for line in reads), reads
