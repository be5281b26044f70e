"""The package's layers: each imports only from the layers below it (anywhere in a module, in
functions too), and no two modules import each other at import time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "priorkit"

# a layer may import from the layers before it, never from those after it
LAYERS = ["data", "encoders", "runs", "analysis", "training", "api", "ablation", "cli"]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The priorkit modules a file imports (all imports, or only those run when it is imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("priorkit"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("priorkit"))
    return found


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_no_layer_above_its_own(name: str) -> None:
    own = layer(name)
    if own is None:
        return
    above = set(LAYERS[LAYERS.index(own) + 1 :])
    wrong = sorted(m for m in imports(MODULES[name]) if layer(m) in above)
    assert not wrong, f"{name} ({own}) imports from a higher layer: {wrong}"


def test_no_import_cycles_at_import_time() -> None:
    graph = {
        name: {m for m in imports(path, top_level_only=True) if m in MODULES}
        for name, path in MODULES.items()
    }
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for child in sorted(graph[node]):
            if child in (node, *(n for n in MODULES if node.startswith(n + "."))):
                continue  # a package's own __init__ is run first, not a cycle
            if state.get(child) == 1:
                cycle = [*trail[trail.index(child) :], child] if child in trail else [node, child]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if child not in state:
                visit(child, [*trail, child])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def root_imports(path: Path) -> list[str]:
    """``from priorkit import ...`` in a module of the package: a climb back up to the package's
    ``__init__`` (and through it to every layer), as ``from priorkit import __version__`` was."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"line {node.lineno}: from priorkit import {', '.join(a.name for a in node.names)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "priorkit" and node.level == 0
    ]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "priorkit"))
def test_no_module_imports_the_package_root(name: str) -> None:
    assert root_imports(MODULES[name]) == [], f"{name}: import from the module that defines it instead"


def test_the_root_import_check_sees_one(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from priorkit import __version__\n    return __version__\n")
    assert root_imports(module) == ["line 2: from priorkit import __version__"]
