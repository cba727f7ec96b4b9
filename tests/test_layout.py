"""The dashboard's layout rules (README, "Layout"), checked over the import statements.

- no import circles among the project's modules (deferred imports inside functions included);
- a screen never imports another screen; shared parts and the web frame never import a screen;
- the analytic layers, the data layer and geo never import the dashboard.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dashboard", "data", "geo", "layers", "measures")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def _graph() -> dict[str, set[str]]:
    """Module → the project modules it imports (a package import counts as its ``__init__``)."""
    files = [p for pkg in PACKAGES if (ROOT / pkg).is_dir() for p in (ROOT / pkg).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            else:
                continue
            for dotted in names:
                if dotted in modules:
                    targets.add(dotted)
                elif dotted.rsplit(".", 1)[0] in modules and "." in dotted:
                    targets.add(dotted.rsplit(".", 1)[0])
        targets.discard(name)
        graph[name] = targets
    return graph


def _screen(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["dashboard", "screens"] and len(parts) > 2:
        return parts[2]
    return None


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    assert _circles(_graph()) == []


def test_circle_finder_finds_a_planted_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", sorted(_graph()))
def test_layering(module):
    targets = _graph()[module]
    own = _screen(module)
    screens = {t for t in targets if _screen(t)}
    if module.startswith(("dashboard.parts", "dashboard.web")):
        assert not screens, f"{module} imports screens {sorted(screens)}"
    if own:
        others = {t for t in screens if _screen(t) != own}
        assert not others, f"screen {own} imports another screen: {sorted(others)}"
    if module.split(".")[0] in ("data", "geo", "layers", "measures"):
        assert not {t for t in targets if t.startswith("dashboard")}, f"{module} imports dashboard"


def test_test_modules_have_unique_names():
    """pytest imports test modules by their base name (rootdir-less ``sys.path`` insertion):
    two ``test_x.py`` in different folders stop the whole run at collection."""
    names: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert {n: p for n, p in names.items() if len(p) > 1} == {}
