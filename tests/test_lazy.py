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
