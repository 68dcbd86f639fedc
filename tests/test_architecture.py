"""The package's structural rules (docs/architecture.md), checked on its source with `ast`:

- no import cycle between yeastcell modules, counting imports inside functions too;
- compiling a model imports nothing from the solver wing, directly or through other modules;
- no attribute forwarding through ``__getattr__`` in a class;
- the solver is chosen by type in one place only (`yeastcell/solvers/solve.py`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import yeastcell

PACKAGE = Path(yeastcell.__file__).resolve().parent
SOLVER_TYPES = {"BatchBDF", "Rodas4P"}
DISPATCH_POINT = PACKAGE / "solvers" / "solve.py"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def import_graph() -> dict[str, set[str]]:
    """Module -> the yeastcell modules it imports anywhere in its source (functions included)."""
    mods = _sources()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = m.split(".") if is_pkg else m.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                names = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in mods else mod for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for t in names:
                if not t.startswith("yeastcell"):
                    continue
                while t not in mods and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t != m:
                    graph[m].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_including_imports_inside_functions():
    graph = import_graph()
    assert "yeastcell.simulate" in graph and graph["yeastcell.simulate"], "the import graph was not read"
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_compiling_imports_nothing_from_the_solvers():
    graph = import_graph()
    seen, todo = set(), ["yeastcell.compile"]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph[m])
    assert "yeastcell.cells" in seen  # the walk follows compile's real imports
    assert sorted(m for m in seen if m.startswith("yeastcell.solvers")) == []


def test_no_getattr_forwarding_in_classes():
    offenders = []
    for m, path in _sources().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                offenders += [
                    f"{m}.{node.name}" for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"
                ]
    assert offenders == []


def test_the_solver_is_chosen_by_type_in_one_place():
    offenders = []
    for m, path in _sources().items():
        if path == DISPATCH_POINT:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
                kinds = node.args[1]
                names = {n.id for n in ast.walk(kinds) if isinstance(n, ast.Name)} | {
                    n.attr for n in ast.walk(kinds) if isinstance(n, ast.Attribute)
                }
                if names & SOLVER_TYPES:
                    offenders.append(f"{m}:{node.lineno}")
    assert offenders == []


def test_every_figure_in_docs_is_referenced():
    docs = PACKAGE.parent / "docs"
    if not docs.is_dir():
        pytest.skip("no docs/ beside the package (an installed wheel, not a checkout)")
    text = "\n".join(p.read_text() for p in [*docs.glob("*.md"), PACKAGE.parent / "README.md"] if p.is_file())
    unreferenced = [p.name for p in docs.glob("*.png") if p.name not in text]
    assert unreferenced == []
