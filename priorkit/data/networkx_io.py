"""Round trip between :class:`TreeSample` and ``networkx.DiGraph`` (edges parent -> child)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from priorkit.data.problems import DataValidationError, Problem
from priorkit.data.records import sample_from_dict, sample_to_record
from priorkit.data.sample import TreeSample
from priorkit.errors import ConfigError

_GRAPH_KEYS = ("id", "text", "label", "group", "created_at", "counterfactual_of")


def to_networkx(sample: TreeSample) -> nx.DiGraph:
    """The sample as a DiGraph: node attributes ``text, features, time, importance, user``
    (those the sample has), graph attributes ``id, text, label, group``."""
    if not isinstance(sample, TreeSample):
        many = " For a dataset: [pk.to_networkx(s) for s in dataset]." if isinstance(sample, Iterable) else ""
        raise ConfigError(f"sample: expected a TreeSample (got {type(sample).__name__}).{many}")
    record = sample_to_record(sample)
    graph = nx.DiGraph(**{k: record[k] for k in _GRAPH_KEYS if k in record})
    for node in record["nodes"]:
        graph.add_node(node["id"], **{k: v for k, v in node.items() if k not in ("id", "parent")})
    for node in record["nodes"]:
        if node["parent"] is not None:
            graph.add_edge(node["parent"], node["id"])
    return graph


def from_networkx(graph: nx.DiGraph, **attributes: Any) -> TreeSample:
    """A sample from a parent -> child DiGraph, validated like a file line.

    Args:
        graph: a directed tree; ``graph.graph`` may hold ``id, text, label, group``.
        attributes: override or supply the graph attributes (``id=..., label=...``).

    Raises:
        ConfigError: not a networkx graph.
        DataValidationError: a graph that is not a tree (two roots, a cycle, a node with two
            parents) or lacks a required attribute.
    """
    if not isinstance(graph, nx.Graph):
        raise ConfigError(
            f"graph: expected a networkx DiGraph of parent -> child edges (got {type(graph).__name__}). "
            "Build one with nx.DiGraph(edges), or read a JSONL file with pk.read_jsonl."
        )
    meta = {**{k: v for k, v in graph.graph.items() if k in _GRAPH_KEYS}, **attributes}
    sample = str(meta.get("id", "?"))
    source = f"<networkx {sample}>"
    problems = structure_problems(graph, source, 0, sample)
    if problems:
        raise DataValidationError(problems)
    return sample_from_dict({**meta, "nodes": graph_nodes(graph)}, source=source)


def structure_problems(
    graph: nx.Graph, source: str, number: int, sample: str, unit: str = "line"
) -> list[Problem]:
    """What keeps ``graph`` from being read as a tree before its nodes are: an undirected graph,
    or a MultiDiGraph that repeats an edge (merging the copies would hide what the data say)."""
    if not graph.is_directed():
        return [undirected_problem(source, number, sample, unit)]
    if not graph.is_multigraph():
        return []
    position = {node: k for k, node in enumerate(graph.nodes)}
    return [
        Problem(
            source,
            number,
            sample,
            f"nodes[{position[child]}].parent",
            f"expected one edge from a node's parent (node {child!r})",
            f"{graph.number_of_edges(parent, child)} edges {parent!r} -> {child!r} in a MultiDiGraph",
            "keep one edge per parent and child, e.g. nx.DiGraph(graph)",
            unit=unit,
        )
        for parent, child in sorted(set(graph.edges()), key=lambda edge: position[edge[1]])
        if graph.number_of_edges(parent, child) > 1
    ]


def undirected_problem(source: str, number: int, sample: str, unit: str = "line") -> Problem:
    """The problem of a tree given as an undirected graph (which way is the root is unknown)."""
    return Problem(
        source,
        number,
        sample,
        "nodes",
        "expected a directed tree, an nx.DiGraph of parent -> child edges",
        "an undirected nx.Graph",
        "orient it from its root, e.g. nx.bfs_tree(graph, root) (node attributes: copy them over)",
        unit=unit,
    )


def graph_nodes(graph: nx.DiGraph) -> list[dict[str, Any]]:
    """The node records of a parent -> child DiGraph (``id``, ``parent`` and its node
    attributes), in node order, for validation as a sample's ``nodes`` (check
    :func:`structure_problems` first)."""
    nodes = []
    for node, data in graph.nodes(data=True):
        parents = list(graph.predecessors(node))
        record = {"id": node, "parent": parents[0] if parents else None, **data}
        if len(parents) > 1:  # a DiGraph node with two parents is not a tree
            record["parent"] = parents
        nodes.append(record)
    return nodes
