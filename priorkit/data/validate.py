"""Semantic checks of one sample's tree, after its schema passed: roots, parents, cycles."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from priorkit.data.problems import show_value
from priorkit.functional.tree import walk_to_root

Issue = tuple[str, str, str | None, str]  # field, message, got, fix


def resolve_parents(nodes: list[dict[str, Any]]) -> tuple[np.ndarray, list[Issue]]:
    """Map each node's ``parent`` id to an index and check that the nodes form one tree.

    Args:
        nodes: node records that passed the schema (``id`` and ``parent`` present).

    Returns:
        ``parent_index`` (the root is its own parent) and the issues found. The index is
        only meaningful when no issue was found.

    Shapes:
        parent_index: (n,) int64.
    """
    issues: list[Issue] = []
    ids = [str(node["id"]) for node in nodes]
    position: dict[str, int] = {}
    for i, node_id in enumerate(ids):
        if node_id in position:
            issues.append(
                (
                    f"nodes[{i}].id",
                    f"duplicate node id (first at nodes[{position[node_id]}])",
                    show_value(node_id),
                    "give every node of a sample a distinct id",
                )
            )
        else:
            position[node_id] = i
    parent_index = np.arange(len(nodes), dtype=np.int64)
    roots: list[int] = []
    for i, node in enumerate(nodes):
        parent = node["parent"]
        if parent is None:
            roots.append(i)
        elif str(parent) == ids[i]:
            issues.append(
                (
                    f"nodes[{i}].parent",
                    "a node cannot be its own parent",
                    show_value(parent),
                    "set it to the id of another node, or null for the root",
                )
            )
        elif str(parent) not in position:
            issues.append(
                (
                    f"nodes[{i}].parent",
                    "names no node of this sample",
                    show_value(parent),
                    "add the parent node, or fix the id",
                )
            )
        else:
            parent_index[i] = position[str(parent)]
    issues.extend(_root_issues(roots, ids))
    if not issues:
        issues.extend(_cycle_issues(parent_index, ids))
    return parent_index, issues


def _root_issues(roots: list[int], ids: list[str]) -> list[Issue]:
    if not roots:
        return [
            (
                "nodes",
                "no root: every node has a parent",
                None,
                'set "parent": null on exactly one node (the author / source)',
            )
        ]
    if len(roots) > 1:
        shown = ", ".join(f"nodes[{i}] {ids[i]!r}" for i in roots[:5])
        return [
            (
                "nodes",
                f"{len(roots)} roots ({shown})",
                None,
                'give exactly one node "parent": null; the others need a parent',
            )
        ]
    return []


SHOWN_CYCLE = 6  # nodes of a cycle named in its problem (a problem stays one readable line)


def _cycle_issues(parent_index: np.ndarray, ids: list[str]) -> list[Issue]:
    walk = walk_to_root(torch.from_numpy(parent_index))
    bad = np.flatnonzero(walk.on_cycle.numpy())
    if bad.size == 0:
        return []
    start, path = int(bad[0]), []
    seen: set[int] = set()
    node = start
    while node not in seen:  # follow parents until the walk repeats: that is the cycle
        seen.add(node)
        path.append(node)
        node = int(parent_index[node])
    cycle = [*path[path.index(node) :], node]
    shown = " -> ".join(show_value(ids[i]) for i in cycle[:SHOWN_CYCLE])
    if len(cycle) > SHOWN_CYCLE:
        shown += f" -> ... ({len(cycle) - 1} nodes in all)"
    return [
        (
            f"nodes[{cycle[0]}].parent",
            f"cycle of parents {shown}",
            None,
            "parents must lead to the root; break the cycle",
        )
    ]


def feature_width(nodes: list[dict[str, Any]]) -> tuple[int | None, bool]:
    """Width and sparsity of a sample's features, read off its first node; only meaningful once
    :func:`feature_issues` found every node alike."""
    value = nodes[0].get("features")
    if value is None:
        return None, False
    return (value["size"], True) if isinstance(value, dict) else (len(value), False)


def _first_repeat(values: list[int]) -> int | None:
    """The first value of ``values`` that occurred before it (None: each occurs once)."""
    seen: set[int] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def feature_issues(nodes: list[dict[str, Any]]) -> tuple[int | None, bool, list[Issue]]:
    """Check that every node has features of one width (or that none has any).

    Returns:
        the width (None without features), whether they are sparse, and the issues.
    """
    widths: list[tuple[int, int, bool]] = []  # (node, width, sparse)
    issues: list[Issue] = []
    for i, node in enumerate(nodes):
        value = node.get("features")
        if value is None:
            continue
        if isinstance(value, dict):
            if len(value["indices"]) != len(value["values"]):
                issues.append(
                    (
                        f"nodes[{i}].features",
                        "indices and values differ in length",
                        f"{len(value['indices'])} vs {len(value['values'])}",
                        "give one value per index",
                    )
                )
            elif value["indices"] and max(value["indices"]) >= value["size"]:
                issues.append(
                    (
                        f"nodes[{i}].features.indices",
                        "an index is not below size",
                        show_value(max(value["indices"])),
                        f"keep indices below {value['size']}",
                    )
                )
            elif (repeat := _first_repeat(value["indices"])) is not None:
                issues.append(
                    (
                        f"nodes[{i}].features.indices",
                        "an index is given twice",
                        show_value(repeat),
                        "give each index once (add up its values yourself if that is what they mean)",
                    )
                )
            widths.append((i, value["size"], True))
        else:
            widths.append((i, len(value), False))
    if widths and len(widths) != len(nodes):
        missing = next(i for i, node in enumerate(nodes) if node.get("features") is None)
        issues.append(
            (
                f"nodes[{missing}].features",
                "missing while other nodes have features",
                None,
                "give every node a feature vector, or none",
            )
        )
    first = widths[0] if widths else None
    kinds = {True: "sparse {size, indices, values}", False: "a dense list"}
    for i, width, sparse in widths[1:]:
        if first is not None and sparse != first[2]:
            issues.append(
                (
                    f"nodes[{i}].features",
                    f"{kinds[sparse]} here, but nodes[{first[0]}] has {kinds[first[2]]}",
                    None,
                    "give every node features of one kind: all dense lists or all sparse objects",
                )
            )
            break
        if first is not None and width != first[1]:
            issues.append(
                (
                    f"nodes[{i}].features",
                    f"length differs from nodes[{first[0]}] ({first[1]})",
                    str(width),
                    "give every node a feature vector of the same length",
                )
            )
            break
    if first is None:
        return None, False, issues
    return first[1], first[2], issues
