"""How the suite shares out its tests between pytest-xdist workers (pyproject.toml: -n 2 --dist loadgroup).

Tests that share a fixture built once per session or module go to one worker as a group named after
that fixture, so that it is built once (the trained Gaussian model, a module's trained chain model
...); the others are dealt out one by one. A fixture made `once_per_run` (the toy study: a workflow
run whose outputs tests read or copy) is built by the first worker that asks, under a file lock, and
read by all: its tests are dealt out like the others. The order keeps both workers busy to the end:
the SLURM tests first (their cluster runs mostly wait on status polls, and the toy study runs beside
them: tests/test_slurm.py), then the other slow tests, those that read the toy study after them (it is
there by then), and the many short unit tests last, to fill the tail.

pytest 9.2 breaks loadgroup (its node ids no longer take xdist's group suffix: pytest-xdist issue
1386), hence pytest < 9.2 in pyproject.toml; tests/test_packaging.py fails if the groups stop working.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

SCOPES = ("session", "package", "module", "class")  # fixtures built once for many tests, widest first
FIRST, LAST = "test_slurm", "toy_study"  # the module that goes first; the fixture whose tests go last


def once_per_run(fixture):
    """Mark a session fixture that builds its result once for all workers (`build_once`): its
    tests need no group."""
    fixture.once_per_run = True
    return fixture


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The directory `name` that build(directory) fills, built once for all workers of the run: the
    first worker to ask builds it under a file lock, the others wait for it (a build that failed in
    one worker is started afresh by the next)."""
    root = tmp_path_factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root  # the workers' common directory
    path, done = root / name, root / f"{name}.done"
    with FileLock(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(path, ignore_errors=True)
            build(path)
            done.touch()
    return path


def shared_fixture(item: pytest.Item) -> str | None:
    """The widest-scoped fixture of the suite (session before module ...) that `item` uses, or None;
    not pytest's or a plugin's (tmp_path_factory, ...: no base id), which are cheap."""
    defs = [d[-1] for d in item._fixtureinfo.name2fixturedefs.values()
            if d and d[-1].scope in SCOPES and d[-1].baseid and not getattr(d[-1].func, "once_per_run", False)]
    return min(defs, key=lambda d: (SCOPES.index(d.scope), d.argname)).argname if defs else None


def group_by_shared_fixture(items: list[pytest.Item]) -> None:
    """pytest_collection_modifyitems: an xdist_group mark on every test that uses a shared fixture
    (unless it has one); the order: the FIRST module, the slow tests (those of the LAST fixture after
    the others), the rest (xdist keeps it: --no-loadscope-reorder)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None and (name := shared_fixture(item)):
            item.add_marker(pytest.mark.xdist_group(name))
    items.sort(key=lambda item: (item.module.__name__ != FIRST, item.get_closest_marker("slow") is None,
                                 LAST in item.fixturenames))
