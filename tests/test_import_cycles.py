"""Issue 12: the layers are one-way. No cycle among ismart's files, counting imports made inside
functions (only imports under ``if TYPE_CHECKING:`` are exempt, as they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

import ismart

ROOT = Path(ismart.__file__).parent


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_of(p): p for p in ROOT.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, here: str, is_package: bool) -> set[str]:
    found: set[str] = set()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            found |= _imports(ast.Module(body=node.orelse, type_ignores=[]), here, is_package)
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = here.split(".") if is_package else here.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
        found |= _imports(node, here, is_package)
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = _imports(tree, name, path.name == "__init__.py")
        edges[name] = {t for t in targets if t in MODULES and t != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_walker_sees_imports_inside_functions_and_skips_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ismart.dossier import Dossier\n"
        "def f():\n    from ismart.protocol import loader\n    import ismart.calculators\n"
    )
    assert _imports(tree, "ismart.x", False) == {"typing", "ismart.protocol.loader", "ismart.calculators"}


def test_the_walker_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_between_files() -> None:
    assert cycles(graph()) == []


# The typed models of the protocol files are the schema every layer reads (molecular matches
# against its entries, eligibility evaluates its rules, the loader fills it): a node of its own.
SCHEMA_MODULES = {"ismart.protocol.model"}


def _layer(module: str) -> str:
    return module if module in SCHEMA_MODULES else ".".join(module.split(".")[:2])


def test_packages_are_layered_one_way() -> None:
    """dossier -> molecular -> eligibility, logic below both: no cycle between packages either."""
    layers: dict[str, set[str]] = {}
    for source, targets in graph().items():
        layers.setdefault(_layer(source), set())
        for target in targets:
            layers.setdefault(_layer(target), set())
            if _layer(target) != _layer(source):
                layers[_layer(source)].add(_layer(target))
    assert cycles(layers) == []
