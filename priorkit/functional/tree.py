"""Depths, roots and edges of forests given as parent pointers, computed vectorised.

A forest is stored as ``parent_index`` (n,): the index of each node's parent, where a
root is its own parent. This convention survives torch_geometric batching (``*_index``
attributes are shifted by the node offset of each graph) and makes every walk towards
the root a fixed point at the root.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class TreeWalk:
    """Result of walking every node up to its root.

    Shapes:
        depth: (n,) int64, edges between the node and its root (0 at a root).
        root: (n,) int64, index of the node's root.
        on_cycle: (n,) bool, True where the walk never reaches a root (the node is on a
            cycle or below one); ``depth`` and ``root`` are meaningless there.
    """

    depth: Tensor
    root: Tensor
    on_cycle: Tensor


def walk_to_root(parent_index: Tensor) -> TreeWalk:
    """Depth and root of every node by pointer doubling: O(n log depth), no Python loop over nodes.

    Args:
        parent_index: (n,) int64, a root is its own parent.

    Shapes:
        parent_index: (n,) -> TreeWalk with (n,) fields.
    """
    parent_index = parent_index.long()
    n = parent_index.numel()
    nodes = torch.arange(n, device=parent_index.device)
    ancestor = parent_index.clone()
    depth = (ancestor != nodes).long()
    # After step k, ``ancestor`` is the 2^k-th ancestor (stopping at a root) and
    # ``depth`` the number of edges walked to get there.
    for _ in range(max(1, math.ceil(math.log2(max(n, 2)))) + 1):
        next_ancestor = ancestor[ancestor]
        if torch.equal(next_ancestor, ancestor):
            break
        depth = depth + depth[ancestor]
        ancestor = next_ancestor
    on_cycle = parent_index[ancestor] != ancestor
    return TreeWalk(depth=depth, root=ancestor, on_cycle=on_cycle)


def edge_index_from_parent(parent_index: Tensor) -> Tensor:
    """Parent -> child edges of a forest, roots skipped.

    Shapes:
        parent_index: (n,) -> edge_index: (2, e) with e = n - number of roots.
    """
    nodes = torch.arange(parent_index.numel(), device=parent_index.device)
    child = nodes[parent_index != nodes]
    return torch.stack([parent_index[child], child])


def child_count(parent_index: Tensor) -> Tensor:
    """Number of children of every node.

    Shapes:
        parent_index: (n,) -> (n,) int64.
    """
    n = parent_index.numel()
    nodes = torch.arange(n, device=parent_index.device)
    not_root = parent_index != nodes
    counts = torch.zeros(n, dtype=torch.long, device=parent_index.device)
    return counts.index_add_(0, parent_index[not_root], torch.ones_like(nodes[not_root]))


def is_leaf(parent_index: Tensor) -> Tensor:
    """True for nodes without children (a lone root is a leaf too).

    Shapes:
        parent_index: (n,) -> (n,) bool.
    """
    return child_count(parent_index) == 0


NODE_GROUPS = ("root", "leaves", "depth_1", "depth_2", "3+")
"""The node groups of node-group reliance; all but ``leaves`` partition the nodes by depth."""


def node_group(group: str, depth: Tensor, parent_index: Tensor) -> Tensor:
    """Which nodes belong to ``group`` of :data:`NODE_GROUPS` (a leaf is a non-root node
    without children); works on a batch of trees as on one.

    Shapes:
        depth, parent_index: (n,) -> (n,) bool.
    """
    if group == "leaves":
        return is_leaf(parent_index) & (depth > 0)
    if group == "3+":
        return depth >= 3
    return depth == {"root": 0, "depth_1": 1, "depth_2": 2}[group]
