"""Recipes and the README's code use the public API only: ``import priorkit as pk`` (and the
recipes' own sibling scripts), never a module inside the package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def imports_past_pk(source: str) -> list[str]:
    """The imports of ``source`` that reach past ``priorkit`` (``from priorkit.x import``, ...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "priorkit":
            if node.module != "priorkit" or any(alias.name != "__version__" for alias in node.names):
                found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {a.name}" for a in node.names if a.name.startswith("priorkit.")
            ]
            found += [
                f"line {node.lineno}: import priorkit (as {a.asname or 'priorkit'}, not pk)"
                for a in node.names
                if a.name == "priorkit" and a.asname != "pk"
            ]
    return found


@pytest.mark.parametrize("script", sorted((ROOT / "recipes").glob("*.py")), ids=lambda p: p.name)
def test_a_recipe_imports_only_pk(script: Path) -> None:
    assert imports_past_pk(script.read_text(encoding="utf-8")) == []


def test_the_readme_code_imports_only_pk() -> None:
    blocks = README_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks  # the README has Python examples to check
    wrong = {i: imports_past_pk(block) for i, block in enumerate(blocks)}
    assert {i: found for i, found in wrong.items() if found} == {}


def test_the_check_sees_a_deep_import() -> None:
    assert imports_past_pk(
        "from priorkit.runs.config import RunConfig\nimport priorkit.model\nimport priorkit"
    )
    assert imports_past_pk("import priorkit as pk\nfrom priorkit import pk as x") == [
        "line 2: from priorkit import ..."
    ]
    assert imports_past_pk("import priorkit as pk\nimport numpy as np") == []
