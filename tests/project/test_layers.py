"""The package's layers: imports run one way, top to bottom, with no cycles, and no module is too long to read.

Every import counts, the ones inside functions and under TYPE_CHECKING too: an import that waits until a call is
still a dependency, and a cycle through one only works while the import order happens to allow it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT

# Each part may import the parts of a lower rank; parts of one rank are independent of each other.
RANKS = {
    "core": 0,
    "text": 1,
    "metrics": 1,
    "engines": 2,
    "policy": 3,
    "runtime": 3,
    "testing": 3,
    "documents": 4,
    "components": 4,
    "tasks": 5,
    "service": 6,
    "evaluation": 7,
    "frontends": 8,
}
MAX_LINES = 400


def _module_files() -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / "playground").rglob("*.py")):
        if "metrics" in path.parts and path.parent.name != "metrics":
            continue  # the metric scripts that `evaluate` loads by path: not modules of the package
        yield _name(path.relative_to(ROOT).with_suffix("").parts), path
    for path in sorted((ROOT / "tasks").glob("*.py")):
        yield _name(("playground", "tasks", path.stem)), path


def _name(parts: tuple[str, ...]) -> str:
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(name: str, path: Path, modules: set[str]) -> set[str]:
    """The playground modules that the module `name` imports, wherever in it the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "playground")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "playground":
                continue
            for alias in node.names:  # `from package import module` depends on the module itself
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return found - {name}


def _graph() -> dict[str, set[str]]:
    files = dict(_module_files())
    return {name: _imports(name, path, set(files)) for name, path in files.items()}


def _part(module: str) -> str | None:
    """The part a module belongs to; None for the package's face and `python -m playground`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "__main__" else None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_the_package() -> None:
    graph = _graph()
    assert "playground.runtime.registry" in graph and "playground.tasks.sentiment" in graph
    assert "playground.runtime.registry" in graph["playground.tasks.sentiment"]
    assert "playground.core.errors" in graph["playground.engines.catalogue"]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("part", sorted(RANKS))
def test_each_part_says_what_it_may_import(part: str) -> None:
    init = ROOT / "tasks" / "__init__.py" if part == "tasks" else ROOT / "playground" / part / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    assert "import" in doc.lower(), f"{init.relative_to(ROOT)} should say in its docstring what it may import"


def test_imports_run_down_the_layers() -> None:
    upward = []
    for module, imported in _graph().items():
        here = _part(module)
        if here is None:
            continue  # the package's face (playground/__init__.py) hands the Python API on
        assert here in RANKS, f"{module} is in no known part of the package: add its folder to RANKS"
        for target in imported:
            there = _part(target)
            if there is None:
                upward.append(f"{module} -> {target} (the package's face)")
            elif there != here and RANKS[there] >= RANKS[here]:
                upward.append(f"{module} ({here}) -> {target} ({there})")
    assert upward == []


def test_no_module_is_too_long_to_read() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for _, path in _module_files()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []
