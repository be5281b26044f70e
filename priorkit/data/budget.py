"""Node budgets: keep the first ``max_nodes`` nodes of each tree, as early-detection work does.

A cascade is read as it grows: with ``order="time"`` the kept nodes are the earliest ones, with
``order="depth"`` the ones nearest the root (breadth first). The kept nodes are always closed under
parents, so every kept node still hangs from the root: a node's place in the time order is the
latest time on its path from the root (a reply logged before its parent, as in 8 Twitter15
files, waits for its parent), and nodes without a known time come after every timed node.
Content nodes grafted under the root (:mod:`priorkit.data.graft`: what was said, not who spread
it) are not part of the cascade: they are always kept and not counted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np

from priorkit.data.dataset import TreeDataset
from priorkit.data.graft import CONTENT_PREFIX
from priorkit.data.sample import TreeSample

NodeOrder = Literal["time", "depth"]


def arrival_order(sample: TreeSample, order: NodeOrder = "time") -> np.ndarray:
    """Node indices in the order the budget takes them; every parent comes before its children.

    Shapes:
        -> (n,) int64, a permutation of the nodes.
    """
    depth = sample.depth
    index = np.arange(sample.num_nodes)
    if order == "depth":
        time = _times(sample)
        return np.lexsort((index, time, depth))
    if order != "time":
        raise ValueError(f"order: expected 'time' or 'depth' (got {order!r}).")
    return np.lexsort((index, depth, _path_times(sample, depth)))


def _times(sample: TreeSample) -> np.ndarray:
    """Node times with unknown ones (NaN or no times at all) last."""
    if sample.time is None:
        return np.full(sample.num_nodes, np.inf)
    return np.where(np.isnan(sample.time), np.inf, sample.time).astype(np.float64)


def _path_times(sample: TreeSample, depth: np.ndarray) -> np.ndarray:
    """The latest time on each node's path from the root (a cumulative max, level by level)."""
    latest = _times(sample)
    parent = sample.parent_index
    for level in range(1, int(depth.max(initial=0)) + 1):
        at = np.flatnonzero(depth == level)
        latest[at] = np.maximum(latest[at], latest[parent[at]])
    return latest


def first_nodes(sample: TreeSample, max_nodes: int, order: NodeOrder = "time") -> TreeSample:
    """The sample restricted to its first ``max_nodes`` nodes in ``order`` (itself when it is
    no larger), plus its grafted content nodes. Node order within the sample is kept; the input
    is not modified.

    Shapes:
        a sample with n nodes, c of them content -> min(n - c, max_nodes) + c nodes.
    """
    if max_nodes < 1:
        raise ValueError(f"max_nodes: expected an integer >= 1 (got {max_nodes}).")
    content = np.fromiter((i.startswith(CONTENT_PREFIX) for i in sample.node_ids), bool, sample.num_nodes)
    if sample.num_nodes - int(content.sum()) <= max_nodes:
        return sample
    arrival = arrival_order(sample, order)
    keep = np.sort(np.concatenate([arrival[~content[arrival]][:max_nodes], np.flatnonzero(content)]))
    new_index = np.full(sample.num_nodes, -1, dtype=np.int64)
    new_index[keep] = np.arange(keep.size)
    kept = keep.tolist()

    def pick(values: list | None) -> list | None:  # type: ignore[type-arg]
        return None if values is None else [values[i] for i in kept]

    trimmed = replace(
        sample,
        node_ids=[sample.node_ids[i] for i in kept],
        parent_index=new_index[sample.parent_index[keep]],
        features=None if sample.features is None else sample.features[keep],
        time=None if sample.time is None else sample.time[keep],
        importance=None if sample.importance is None else sample.importance[keep],
        node_text=pick(sample.node_text),
        user=pick(sample.user),
    )
    trimmed.__dict__["depth"] = sample.depth[keep]  # the cached depths stay valid
    return trimmed


def apply_node_budget(dataset: TreeDataset, max_nodes: int | None, order: NodeOrder = "time") -> TreeDataset:
    """Every sample through :func:`first_nodes` (the dataset itself when ``max_nodes`` is None)."""
    if max_nodes is None:
        return dataset
    return TreeDataset([first_nodes(s, max_nodes, order) for s in dataset], dataset.report)
