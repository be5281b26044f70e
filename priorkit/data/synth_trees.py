"""Tree shapes of the synthetic generator: how each new node picks its parent.

| shape | a new node attaches to | looks like |
|---|---|---|
| ``recursive`` | any earlier node, uniformly (random recursive tree) | bushy, shallow |
| ``preferential`` | an earlier node with probability proportional to 1 + its children | hubs |
| ``star`` | the root with probability ``STAR_ROOT``, else any earlier node | Twitter retweet cascades |
| ``chain`` | the latest node with probability ``CHAIN_LAST``, else any earlier node | reply chains |

Every shape respects ``max_depth``: only nodes above it can take children.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Shape = Literal["recursive", "preferential", "star", "chain"]
SHAPES: tuple[Shape, ...] = ("recursive", "preferential", "star", "chain")
STAR_ROOT = 0.7
CHAIN_LAST = 0.8


def grow_tree(
    rng: np.random.Generator, n: int, max_depth: int, shape: Shape
) -> tuple[np.ndarray, np.ndarray]:
    """Parent index (the root is its own parent) and depth of an ``n``-node tree.

    Shapes:
        -> (n,) int64, (n,) int64.
    """
    parent = np.zeros(n, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    children = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        open_nodes = np.flatnonzero(depth[:i] < max_depth)
        parent[i] = _pick_parent(rng, shape, open_nodes, children, i)
        depth[i] = depth[parent[i]] + 1
        children[parent[i]] += 1
    return parent, depth


def _pick_parent(
    rng: np.random.Generator, shape: Shape, open_nodes: np.ndarray, children: np.ndarray, i: int
) -> int:
    if shape == "recursive":
        return int(rng.choice(open_nodes))
    if shape == "preferential":
        weight = children[open_nodes] + 1.0
        return int(rng.choice(open_nodes, p=weight / weight.sum()))
    if shape == "star" and rng.random() < STAR_ROOT:
        return 0
    if shape == "chain" and open_nodes[-1] == i - 1 and rng.random() < CHAIN_LAST:
        return i - 1
    return int(rng.choice(open_nodes))


def leaves(parent: np.ndarray) -> np.ndarray:
    """Which nodes have no child (a one-node tree's root is a leaf).

    Shapes:
        parent: (n,) -> (n,) bool.
    """
    has_child = np.zeros(len(parent), dtype=bool)
    has_child[parent[1:]] = True
    return ~has_child
