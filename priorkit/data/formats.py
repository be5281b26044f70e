"""The registry of dataset formats (``jsonl``, ``twitter``, ``rvnn``, ``pheme``) and ``load_format``."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable

from priorkit.data.dataset import TreeDataset
from priorkit.registry import Registry

Loader = Callable[..., TreeDataset]
FORMATS: Registry[Loader] = Registry("format")


def load_format(name: str, source: str | os.PathLike[str], **options: object) -> TreeDataset:
    """Load ``source`` with the loader registered as ``name``."""
    importlib.import_module("priorkit.data.loaders")  # registers the built-in formats
    return FORMATS.get(name)(source, **options)
