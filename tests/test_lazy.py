import subprocess
import sys

import pytest

import priorkit
import priorkit.data


def test_every_exported_name_resolves() -> None:
    for package in (priorkit, priorkit.data):
        for name in package.__all__:
            assert getattr(package, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        priorkit.nope  # noqa: B018


def test_the_cli_does_not_import_torch_geometric() -> None:
    code = "import sys, priorkit.cli; print('torch_geometric' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_prediction_does_not_import_lightning() -> None:
    """Loading a run and predicting needs no trainer: Lightning and what it pulls cost about
    200 MiB of resident memory."""
    code = "import sys, priorkit.api.prediction, priorkit.analysis.predict; print('lightning' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_every_module_imports_first_without_a_cycle() -> None:
    code = """
import importlib, pkgutil, sys
import priorkit
names = [m.name for m in pkgutil.walk_packages(priorkit.__path__, "priorkit.")]
for name in names:
    for loaded in [k for k in sys.modules if k == "priorkit" or k.startswith("priorkit.")]:
        del sys.modules[loaded]
    importlib.import_module(name)
print(len(names))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 20


def test_the_names_for_type_checkers_are_the_exported_names() -> None:
    """``priorkit/__init__.py`` keeps one table of exports (``__all__`` is derived from it); the
    imports under ``TYPE_CHECKING`` must name the same things, or a type checker sees another API."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(priorkit.__file__).read_text(encoding="utf-8"))
    guarded = next(
        n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"
    )
    typed = {alias.asname or alias.name for node in guarded.body for alias in node.names}  # type: ignore[attr-defined]
    exports = set(priorkit._EXPORTS)  # type: ignore[attr-defined]
    assert typed == exports
    assert set(priorkit.__all__) == exports | {"ConfigError", "PriorkitError", "RegistryError", "__version__"}
