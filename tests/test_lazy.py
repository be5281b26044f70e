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
