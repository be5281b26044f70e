"""Helpers shared by the dataset loaders."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import torch

from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.functional.tree import walk_to_root


def require_file(path: Path, what: str) -> Path:
    """``path`` if it is a file, else a :class:`DataValidationError` saying what was expected."""
    if not path.is_file():
        raise DataValidationError(
            [
                Problem.whole_line(
                    str(path),
                    0,
                    "-",
                    f"missing {what}",
                    None,
                    "point the loader at the dataset's folder",
                )
            ]
        )
    return path


def read_text_file(path: Path, sample: str = "?") -> str:
    """The text of ``path`` as ``Path.read_text`` gives it (UTF-8, a byte-order mark left out,
    every line end as ``\\n``).

    Raises:
        DataValidationError: bytes that are not UTF-8, named by line and byte (``sample``: the
            sample the file holds, where one file is one sample).
    """
    data = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        problem = Problem.whole_line(
            str(path),
            data.count(b"\n", 0, error.start) + 1,
            sample,
            f"not valid UTF-8 at byte {error.start - line_start} of the line",
            show_value(data[error.start : error.start + 4]),
            "re-save the file with UTF-8 encoding",
        )
        raise DataValidationError([problem]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


class LabelFile:
    """The labels a label file gives, one per item (a tweet, a tree), gathered line by line;
    a broken line and a second, different label for an item are problems of their line, all
    raised together by :meth:`labels`."""

    def __init__(self, path: Path, item: str) -> None:
        self.path, self.item = path, item
        self.found: dict[str, str] = {}
        self.lines: dict[str, int] = {}  # item id -> the line that labelled it
        self.problems: list[Problem] = []

    def broken(self, number: int, line: str, expected: str, item: str = "?") -> None:
        self.problems.append(
            Problem.whole_line(
                str(self.path), number, item, expected, show_value(line), "fix or remove the line"
            )
        )

    def add(self, number: int, item: str, label: str) -> None:
        if self.found.get(item, label) != label:
            self.problems.append(
                Problem.whole_line(
                    str(self.path),
                    number,
                    item,
                    f"a second label for this {self.item} (line {self.lines[item]}: {self.found[item]!r})",
                    show_value(label),
                    f"keep one label per {self.item}",
                )
            )
            return
        self.found[item] = label
        self.lines.setdefault(item, number)

    def labels(self) -> dict[str, str]:
        if self.problems:
            raise DataValidationError(self.problems)
        return self.found


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """``sign(v) * log(1 + |v|)``: a delay feature that keeps negative delays negative."""
    return (np.sign(values) * np.log1p(np.abs(values))).astype(np.float32)


def reachable_from(root: int, parent_index: np.ndarray) -> np.ndarray:
    """True for nodes whose parents lead to ``root`` (False on cycles and detached parts).

    Args:
        root: the root index; ``parent_index[root]`` is set to ``root``.
        parent_index: (n,) int64, -1 for nodes whose parent is unknown.

    Shapes:
        -> (n,) bool.
    """
    fixed = parent_index.copy()
    unknown = fixed < 0
    fixed[unknown] = np.flatnonzero(unknown)
    fixed[root] = root
    walk = walk_to_root(torch.from_numpy(fixed))
    return (~walk.on_cycle & (walk.root == root)).numpy()


def keep_nodes(keep: np.ndarray, parent_index: np.ndarray) -> np.ndarray:
    """Re-index a parent array after dropping the nodes where ``keep`` is False.

    Shapes:
        keep: (n,) bool; parent_index: (n,) -> (k,) with k = keep.sum().
    """
    new_position = np.cumsum(keep) - 1
    return new_position[parent_index[keep]].astype(np.int64)
