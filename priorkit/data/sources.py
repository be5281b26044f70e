"""``as_dataset``: the data arguments of the Python API (a file, samples, records) as a dataset."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from priorkit.data.dataset import TreeDataset
from priorkit.data.jsonl import read_jsonl
from priorkit.data.sample import TreeSample
from priorkit.errors import PriorkitError

DataSource = TreeDataset | Iterable[TreeSample] | Iterable[Mapping[str, Any]] | str | os.PathLike[str]


def as_dataset(data: DataSource, where: str = "data") -> TreeDataset:
    """A :class:`TreeDataset` from a JSONL path, a dataset, a list of :class:`TreeSample` or a
    list of JSON-like records (validated as file lines, numbered from 1).

    Raises:
        DataValidationError: invalid records or file lines, every problem listed.
        PriorkitError: anything else, naming what was expected.
    """
    if isinstance(data, TreeDataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        return read_jsonl(Path(data))
    table = type(data).__module__.partition(".")[0] == "pandas"  # iterating one gives its column names
    if table or isinstance(data, Mapping) or not isinstance(data, Iterable):
        raise PriorkitError(
            f"{where}: expected a JSONL path, a TreeDataset, or a list of samples or records (got "
            f"{type(data).__name__}). For a pandas table use pk.from_pandas(...)."
        )
    items = list(data)
    if all(isinstance(item, TreeSample) for item in items):
        return TreeDataset(items)  # type: ignore[arg-type]
    if all(isinstance(item, Mapping) for item in items):
        from priorkit.data.tables import from_records

        return from_records(items, source=f"<{where}>")  # type: ignore[arg-type]
    kinds = sorted({type(item).__name__ for item in items})
    raise PriorkitError(
        f"{where}: expected samples (TreeSample) or records (dicts), all of one kind "
        f"(got {', '.join(kinds)})."
    )
