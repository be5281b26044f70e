"""Loader of the RvNN/BiGCN preprocessed format (``data.TD_RvNN.vol_5000.txt`` + label file).

Data lines are tab-separated ``tree_id, parent_idx ('None' at the root), node_idx,
max_degree, max_length, 'word:count ...'``; node indices are 1-based within a tree. Label
lines are tab-separated with the label in column 1 and the tree id in column 3. Node
features are the bag of words, kept sparse (scipy CSR). The format has no raw text: the
sample text is the source tweet's text when ``texts`` (a ``source_tweets.txt``) is given,
else empty. Trees without a label and labels without a tree are counted in the report.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from priorkit.data.dataset import LoadReport, TreeDataset
from priorkit.data.loaders.base import LabelFile, read_text_file, require_file
from priorkit.data.loaders.twitter import read_source_texts
from priorkit.data.memory import paused_gc
from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.data.records import check_record
from priorkit.data.sample import TreeSample
from priorkit.data.times import snowflake_seconds

VOCABULARY_SIZE = 5000
_Row = tuple[int, str, str, str]  # line number, parent, node, bag of words


def _read_rows(path: Path) -> dict[str, list[_Row]]:
    trees: dict[str, list[_Row]] = defaultdict(list)
    problems: list[Problem] = []
    for number, line in enumerate(read_text_file(path).split("\n"), start=1):
        cols = line.split("\t")
        if len(cols) < 5:
            if line.strip():
                problems.append(
                    Problem.whole_line(
                        str(path),
                        number,
                        "?",
                        "expected 6 tab-separated columns",
                        show_value(line.strip()),
                        "fix or remove the line",
                    )
                )
            continue
        trees[cols[0]].append((number, cols[1], cols[2], cols[5] if len(cols) > 5 else ""))
    if problems:
        raise DataValidationError(problems)
    return trees


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _bag(words: str, where: str) -> tuple[list[int], list[float]]:
    indices, values = [], []
    for item in words.split():
        word, _, count = item.partition(":")
        if not word.isdigit() or int(word) >= VOCABULARY_SIZE:
            raise ValueError(
                f"{where}: expected `word_index:count` with index < {VOCABULARY_SIZE} (got {item!r})"
            )
        value = float(count)  # "x" raises ValueError, named by the caller
        if not (math.isfinite(value) and abs(value) <= FLOAT32_MAX):
            raise ValueError(f"{where}: expected a finite count within float32 range (got {item!r})")
        indices.append(int(word))
        values.append(value)
    return indices, values


def _tree_sample(path: Path, tree_id: str, rows: list[_Row], label: str, text: str) -> TreeSample:
    nodes = [{"id": node, "parent": None if parent == "None" else parent} for _, parent, node, _ in rows]
    parent_index, issues = check_record({"id": tree_id, "text": text, "label": label, "nodes": nodes})
    if parent_index is None:
        raise DataValidationError([Problem(str(path), rows[0][0], tree_id, *issue) for issue in issues])
    indptr, indices, values = [0], [], []
    for number, _, _, words in rows:
        try:
            idx, val = _bag(words, f"{path}:{number}")
        except ValueError as error:
            raise DataValidationError(
                [Problem(str(path), number, tree_id, "bag of words", str(error), None, "fix the line")]
            ) from None
        indices += idx
        values += val
        indptr.append(len(indices))
    features = sp.csr_matrix(
        (np.asarray(values, np.float32), np.asarray(indices, np.int64), np.asarray(indptr, np.int64)),
        shape=(len(rows), VOCABULARY_SIZE),
    )
    features.sum_duplicates()
    return TreeSample(
        id=tree_id,
        text=text,
        label=label,
        node_ids=[row[2] for row in rows],
        parent_index=parent_index,
        features=features,
        created_at=snowflake_seconds(tree_id),
        source=f"{path}:{rows[0][0]}",
    )


def read_rvnn_labels(path: Path) -> dict[str, str]:
    """Label file lines (label in column 1, tree id in column 3) -> {tree_id: label}; a line
    without three columns or a label, and a second label for a tree, are named by their line."""
    found = LabelFile(path, "tree")
    for number, line in enumerate(read_text_file(path).splitlines(), start=1):
        if not line.strip():
            continue
        cols = line.split("\t")
        label, tree = (cols[0].strip(), cols[2].strip()) if len(cols) >= 3 else ("", "")
        if not label or not tree:
            expected = "expected tab-separated label, event, tree id, the label and tree id non-empty"
            found.broken(number, line, expected, tree or "?")
        else:
            found.add(number, tree, label)
    return found.labels()


def load_rvnn(
    data: str | os.PathLike[str],
    labels: str | os.PathLike[str] | None = None,
    texts: str | os.PathLike[str] | None = None,
) -> TreeDataset:
    """Load the RvNN/BiGCN format.

    Args:
        data: ``data.TD_RvNN.vol_5000.txt``, or the folder holding it and the label file.
        labels: the label file; by default the ``*label*.txt`` file beside ``data``.
        texts: optional ``source_tweets.txt`` for the sample texts.
    """
    data_path = Path(data)
    if data_path.is_dir():
        data_path = data_path / "data.TD_RvNN.vol_5000.txt"
    require_file(data_path, "RvNN data file (data.TD_RvNN.vol_5000.txt)")
    label_path = (
        Path(labels)
        if labels
        else next(iter(sorted(data_path.parent.glob("*label*.txt"))), data_path.parent / "label.txt")
    )
    label_of = read_rvnn_labels(require_file(label_path, "RvNN label file (label, event, tree id)"))
    text_of = read_source_texts(require_file(Path(texts), "source_tweets.txt")) if texts else {}
    report = LoadReport(source=str(data_path))
    with paused_gc():
        trees = _read_rows(data_path)
        samples = []
        for tree_id, rows in trees.items():
            if tree_id not in label_of:
                report.count("trees_without_label")
                continue
            samples.append(
                _tree_sample(data_path, tree_id, rows, label_of[tree_id], text_of.get(tree_id, ""))
            )
    report.count("labels_without_tree", sum(1 for t in label_of if t not in trees))
    if not text_of:
        report.count("samples_without_text", len(samples))
    return TreeDataset(samples, report)
