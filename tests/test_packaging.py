"""The README's set-up installs requirements.txt alone (the package itself with --no-deps): every
dependency that pyproject.toml declares must be pinned there (a lost pin left a fresh venv without
Snakemake, and every workflow test failed in CI)."""

import re
import tomllib

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
