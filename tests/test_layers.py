"""The layers of docs/architecture.md hold: no part imports a part above it or beside it, and no module imports
itself through others. Every import statement counts, the ones inside functions too (a lazy import hides a
dependency from the reader but not from the program)."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Bottom up: a part may import the parts on the floors below its own, and no other.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("detector", "simulator", "index"),
    ("crawler",),
    ("casework",),
    ("lantian", "bench"),
)
FLOOR_OF = {part: number for number, parts in enumerate(FLOORS) for part in parts}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for part in FLOOR_OF for path in sorted((ROOT / part).rglob("*.py"))}


def imports(source: str, package: str, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """The project modules a module of `package` imports, with the line: `from a.b import c` names `a.b.c` when
    that is a module, else `a.b`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *filter(None, [base])])
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                yield name, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    modules = project_modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = {target: line for target, line in imports(path.read_text(encoding="utf-8"), package, modules)
                       if target != name}
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def test_no_part_imports_a_part_above_or_beside_it() -> None:
    wrong = []
    for source, targets in import_graph().items():
        for target, line in targets.items():
            here, there = source.split(".")[0], target.split(".")[0]
            if here != there and FLOOR_OF[there] >= FLOOR_OF[here]:
                wrong.append(f"{project_modules()[source].relative_to(ROOT)}:{line} imports {target}")
    assert not wrong, "imports against the layers of docs/architecture.md:\n" + "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "modules that import each other: " + "; ".join(" ↔ ".join(group) for group in found)


def test_the_check_sees_lazy_and_relative_imports_and_cycles() -> None:
    """The walk itself: an import inside a function is an arrow, a name imported from a package is the module of
    that name when there is one, and a loop through three modules is a cycle."""
    source = "import os\n\ndef later():\n    from core import lead\n    from .labels import LABELS\n"
    assert dict(imports(source, "core", project_modules())) == {"core.lead": 4, "core.labels": 5}
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]
