"""Which code a rule runs, by content: its script and the library modules the script imports,
found from the import statements (transitively), each reduced to its syntax tree without
docstrings (comments never enter the tree) and hashed.

Rules pass the hash as a parameter, so editing code reruns exactly the rules that use it, while
editing a comment or a docstring, or touching a file, reruns nothing.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = "cldm"


def _module_file(root: Path, dotted: str) -> Path | None:
    """The file of module `dotted` (a.b.c) under root: a/b/c.py or a/b/c/__init__.py."""
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=None)
def _imported_names(text: str) -> tuple[str, ...]:
    """The dotted names that the code `text` imports at run time (cached by content: every rule of a
    workflow asks for the same files, and an edited file is parsed again)."""
    names = []
    for node in _runtime_nodes(ast.parse(text)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]  # `from pkg import module`
    return tuple(names)


def _imports(root: Path, path: Path) -> set[Path]:
    """Files of the package's modules that `path` imports directly, with the __init__.py of every
    package on the way (importing a.b.c runs a/__init__.py and a/b/__init__.py)."""
    return _resolved(root, _imported_names(path.read_text()))


@lru_cache(maxsize=None)
def _resolved(root: Path, names: tuple[str, ...]) -> frozenset[Path]:
    found = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != PACKAGE:
            continue
        for i in range(1, len(parts) + 1):
            if (f := _module_file(root, ".".join(parts[:i]))) is not None:
                found.add(f)
    return frozenset(found)


def _runtime_nodes(tree: ast.AST):
    """Every node, except the bodies of `if TYPE_CHECKING:` (imports for annotations only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                yield child
                yield from _runtime_nodes(child)
            continue
        yield node
        yield from _runtime_nodes(node)


def dependencies(script: str | Path, root: str | Path = ".") -> list[Path]:
    """The script and every package module it imports, transitively, sorted (paths under root)."""
    root = Path(root).resolve()
    seen, todo = set(), [(root / script).resolve()]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo += _imports(root, path)
    return sorted(seen)


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return tree


@lru_cache(maxsize=None)
def _digest(text: str) -> str:
    tree = _without_docstrings(ast.parse(text))
    return hashlib.sha256(ast.dump(tree, annotate_fields=False, include_attributes=False).encode()).hexdigest()


def code_hash(script: str | Path, root: str | Path = ".") -> str:
    """sha256 over the docstring-free syntax trees of the script and its dependencies (16 hex digits)."""
    root = Path(root).resolve()
    h = hashlib.sha256()
    for path in dependencies(script, root):
        h.update(f"{path.relative_to(root)}\0{_digest(path.read_text())}\0".encode())
    return h.hexdigest()[:16]
