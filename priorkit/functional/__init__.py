"""Stateless tensor maths on trees (see :mod:`priorkit` for the shape vocabulary)."""

from priorkit.functional.tree import (
    TreeWalk,
    child_count,
    edge_index_from_parent,
    is_leaf,
    walk_to_root,
)

__all__ = ["TreeWalk", "child_count", "edge_index_from_parent", "is_leaf", "walk_to_root"]
