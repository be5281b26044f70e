"""The registry of dataset formats and ``load_format``.

Built-in formats are named here and imported on first use (the loaders do not import this
module, so there is no import cycle); installed packages add formats through the entry-point
group ``priorkit.formats``, and code through ``@FORMATS.register(name)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from priorkit.config import path_of
from priorkit.data.dataset import TreeDataset
from priorkit.errors import PriorkitError
from priorkit.registry import Registry

Loader = Callable[..., TreeDataset]
FORMATS: Registry[Loader] = Registry(
    "format",
    builtin={
        "jsonl": "priorkit.data.jsonl:read_jsonl",
        "csv": "priorkit.data.tables:load_csv",
        "twitter": "priorkit.data.loaders.twitter:load_twitter",
        "rvnn": "priorkit.data.loaders.rvnn:load_rvnn",
        "twitter_rvnn": "priorkit.data.loaders.twitter_rvnn:load_twitter_rvnn",
        "pheme": "priorkit.data.loaders.pheme:load_pheme",
    },
    group="priorkit.formats",
)


def dataset_source(name: str, source: object) -> Path:
    """``source`` as a path that exists, for the loader registered as ``name``.

    Raises:
        RegistryError: no such format; ConfigError: not a path; PriorkitError: nothing there.
    """
    FORMATS.get(name)  # an unknown format is named before any file is looked at
    path = path_of(source, "source", f"a {name} dataset file or folder")
    if not path.exists():
        raise PriorkitError(
            f"{path}: expected a {name} dataset file or folder (got nothing at that path). Fix the path: "
            "a relative path is read from the current folder."
        )
    return path


def load_format(name: str, source: str | os.PathLike[str], **options: object) -> TreeDataset:
    """Load ``source`` with the loader registered as ``name``.

    Raises:
        PriorkitError: the loader found no sample (a wrong folder, labels without trees), with
            what its report counted.
    """
    dataset = FORMATS.get(name)(dataset_source(name, source), **options)
    if not len(dataset):
        found = "; ".join(line.removeprefix(f"{source}: ") for line in dataset.report.lines()[:5])
        raise PriorkitError(
            f"{source}: expected samples in the {name!r} format (got none{': ' + found if found else ''}). "
            "Check that it holds the dataset's files, laid out as the format's loader documents."
        )
    return dataset
