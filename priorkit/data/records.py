"""Conversion between JSON records (the file format) and :class:`TreeSample`."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse as sp

from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.data.sample import Features, TreeSample
from priorkit.data.schema import schema_problems
from priorkit.data.times import iso_time, parse_time
from priorkit.data.validate import Issue, feature_issues, resolve_parents

_TREE_FIELD = re.compile(r"^(-|nodes|nodes\[\d+\](\.id|\.parent)?)$")


def _tree_checkable(obj: Any, issues: list[Issue]) -> bool:
    """Whether the tree can be checked despite schema issues (ids and parents are fine)."""
    nodes = obj.get("nodes") if isinstance(obj, dict) else None
    if not isinstance(nodes, list) or not nodes or not all(isinstance(n, dict) for n in nodes):
        return False
    return not any(_TREE_FIELD.match(field) for field, *_ in issues)


def check_record(obj: Any) -> tuple[np.ndarray | None, list[Issue]]:
    """Schema, tree and per-sample feature checks of one parsed record.

    Tree problems are reported next to schema problems whenever node ids and parents
    are themselves well-formed, so that one run lists everything to fix.

    Returns:
        ``parent_index`` (None if the record is invalid) and the issues found.
    """
    issues = schema_problems(obj)
    if issues:
        if _tree_checkable(obj, issues):
            issues += resolve_parents(obj["nodes"])[1]
        return None, issues
    parent_index, issues = resolve_parents(obj["nodes"])
    issues += feature_issues(obj["nodes"])[2]
    original = obj.get("counterfactual_of")
    if original is not None and str(original) == str(obj["id"]):
        issues.append(
            (
                "counterfactual_of",
                "names the sample itself",
                show_value(original),
                "name the original, another sample",
            )
        )
    return (None if issues else parent_index), issues


def sample_from_record(obj: dict[str, Any], parent_index: np.ndarray, source: str = "") -> TreeSample:
    """Build a sample from a record that passed :func:`check_record`."""
    nodes = obj["nodes"]
    return TreeSample(
        id=str(obj["id"]),
        text=obj["text"],
        label=obj.get("label"),
        node_ids=[str(node["id"]) for node in nodes],
        parent_index=parent_index,
        features=_features(nodes),
        time=_column(nodes, "time", np.nan),
        importance=_column(nodes, "importance", 0.0),
        node_text=_optional_list(nodes, "text"),
        user=_optional_list(nodes, "user"),
        group=None if obj.get("group") is None else str(obj["group"]),
        created_at=None if obj.get("created_at") is None else parse_time(obj["created_at"]),
        counterfactual_of=None if obj.get("counterfactual_of") is None else str(obj["counterfactual_of"]),
        source=source,
    )


def sample_from_dict(obj: dict[str, Any], source: str = "<dict>") -> TreeSample:
    """Validate a record given as a Python mapping and build its sample.

    Raises:
        DataValidationError: listing every problem, as for a file.
    """
    parent_index, issues = check_record(obj)
    if parent_index is None:
        sample_id = str(obj.get("id", "?")) if isinstance(obj, dict) else "?"
        raise DataValidationError([Problem(source, 0, sample_id, *issue) for issue in issues])
    return sample_from_record(obj, parent_index, source)


def _features(nodes: list[dict[str, Any]]) -> Features | None:
    first = nodes[0].get("features")
    if first is None:
        return None
    if isinstance(first, dict):
        rows = np.repeat(np.arange(len(nodes)), [len(n["features"]["indices"]) for n in nodes])
        cols = np.concatenate([np.asarray(n["features"]["indices"], dtype=np.int64) for n in nodes])
        vals = np.concatenate([np.asarray(n["features"]["values"], dtype=np.float32) for n in nodes])
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=(len(nodes), first["size"]), dtype=np.float32)
        matrix.sum_duplicates()
        return matrix
    return np.asarray([node["features"] for node in nodes], dtype=np.float32).reshape(len(nodes), -1)


def _column(nodes: list[dict[str, Any]], key: str, missing: float) -> np.ndarray | None:
    values = [node.get(key) for node in nodes]
    if all(v is None for v in values):
        return None
    return np.asarray([missing if v is None else v for v in values], dtype=np.float32)


def _optional_list(nodes: list[dict[str, Any]], key: str) -> list[str | None] | None:
    values = [node.get(key) for node in nodes]
    if all(v is None for v in values):
        return None
    return [None if v is None else str(v) for v in values]


def sample_to_record(sample: TreeSample) -> dict[str, Any]:
    """The JSON record of a sample (inverse of :func:`sample_from_record`)."""
    ids = sample.node_ids
    nodes: list[dict[str, Any]] = []
    for i, node_id in enumerate(ids):
        parent = int(sample.parent_index[i])
        node: dict[str, Any] = {"id": node_id, "parent": None if parent == i else ids[parent]}
        if sample.node_text is not None and sample.node_text[i] is not None:
            node["text"] = sample.node_text[i]
        if sample.features is not None:
            node["features"] = _feature_record(sample.features, i)
        if sample.time is not None and not np.isnan(sample.time[i]):
            node["time"] = _short(sample.time[i : i + 1])[0]
        if sample.importance is not None:
            node["importance"] = _short(sample.importance[i : i + 1])[0]
        if sample.user is not None and sample.user[i] is not None:
            node["user"] = sample.user[i]
        nodes.append(node)
    record: dict[str, Any] = {"id": sample.id, "text": sample.text}
    if sample.label is not None:
        record["label"] = sample.label
    if sample.group is not None:
        record["group"] = sample.group
    if sample.created_at is not None:
        record["created_at"] = iso_time(sample.created_at)
    if sample.counterfactual_of is not None:
        record["counterfactual_of"] = sample.counterfactual_of
    record["nodes"] = nodes
    return record


def _short(values: Any) -> list[float]:
    """float32 values as the shortest decimals that read back to the same float32."""
    return [float(str(v)) for v in np.asarray(values, dtype=np.float32)]


def _feature_record(features: Features, row: int) -> list[float] | dict[str, Any]:
    if isinstance(features, np.ndarray):
        return _short(features[row])
    start, end = features.indptr[row], features.indptr[row + 1]
    return {
        "size": int(features.shape[1]),
        "indices": [int(i) for i in features.indices[start:end]],
        "values": _short(features.data[start:end]),
    }
