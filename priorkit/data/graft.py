"""Grafting: the contents of one tree joined to another tree of the same sample.

Two releases of one dataset can describe the same sample twice: a tree of who spread a post
(users, times; no words) and a pruned tree of what was said (a bag of words or a text per
node; no user or tweet ids). Their nodes cannot be matched one to one, but their roots can:
both are the sample's own post. :func:`graft` keeps the first tree as it is, gives its root
the contents of the second tree's root, and hangs the second tree's other nodes under that
root with their own structure, as content nodes (no user, no time). The node features are
the first tree's columns followed by the second's, zero where a node has none.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from priorkit.data.dataset import LoadReport, TreeDataset
from priorkit.data.sample import TreeSample

CONTENT_PREFIX = "content/"


def _columns(sample: TreeSample, width: int) -> sp.csr_matrix:
    """A sample's node features as CSR of ``width`` columns (zeros when it has none).

    Shapes:
        -> (n, width) float32.
    """
    if sample.features is None:
        return sp.csr_matrix((sample.num_nodes, width), dtype=np.float32)
    return sp.csr_matrix(sample.features, dtype=np.float32)


def _texts(tree: TreeSample, contents: TreeSample | None, others: np.ndarray) -> list[str | None] | None:
    """Node texts of the grafted tree: the tree's own, the root's from ``contents`` where the
    tree's root has none, then the content nodes'."""
    has_text = tree.node_text is not None or (contents is not None and contents.node_text is not None)
    if not has_text:
        return None
    own = list(tree.node_text) if tree.node_text is not None else [None] * tree.num_nodes
    if contents is None or contents.node_text is None:
        return own + [None] * len(others)
    if own[tree.root] is None:
        own[tree.root] = contents.node_text[contents.root]
    return own + [contents.node_text[i] for i in others]


def graft(tree: TreeSample, contents: TreeSample | None, widths: tuple[int, int]) -> TreeSample:
    """``tree`` with the nodes of ``contents`` (the same sample's content tree) under its root.

    Args:
        tree: the tree kept as it is (users, times, its own features first).
        contents: the content tree, or None (the sample gets zero content columns).
        widths: (feature width of the trees, feature width of the content trees).

    Shapes:
        tree: n nodes, features (n, f); contents: m nodes, features (m, c)
        -> n + m - 1 nodes, features (n + m - 1, f + c) CSR; the first n nodes are ``tree``'s.
    """
    own = _columns(tree, widths[0])
    if contents is None:
        empty = sp.csr_matrix((tree.num_nodes, widths[1]), dtype=np.float32)
        return replace(tree, features=sp.hstack([own, empty], format="csr"))
    others = np.flatnonzero(np.arange(contents.num_nodes) != contents.root)
    new_index = np.empty(contents.num_nodes, dtype=np.int64)
    new_index[others] = tree.num_nodes + np.arange(others.size)
    new_index[contents.root] = tree.root
    content = _columns(contents, widths[1])
    root_row = sp.csr_matrix(([1.0], ([tree.root], [0])), shape=(tree.num_nodes, 1), dtype=np.float32)
    top = sp.hstack([own, root_row @ content[contents.root]], format="csr")
    bottom = sp.hstack([sp.csr_matrix((others.size, widths[0]), dtype=np.float32), content[others]])
    return replace(
        tree,
        node_ids=tree.node_ids + [CONTENT_PREFIX + contents.node_ids[i] for i in others],
        parent_index=np.concatenate([tree.parent_index, new_index[contents.parent_index[others]]]),
        features=sp.vstack([top, bottom], format="csr"),
        time=None
        if tree.time is None
        else np.concatenate([tree.time, np.full(others.size, np.nan, np.float32)]),
        importance=None
        if tree.importance is None
        else np.concatenate([tree.importance, np.zeros(others.size, np.float32)]),
        node_text=_texts(tree, contents, others),
        user=None if tree.user is None else list(tree.user) + [None] * others.size,
    )


def graft_dataset(trees: TreeDataset, contents: TreeDataset) -> TreeDataset:
    """Every sample of ``trees`` grafted with the sample of ``contents`` that has its id.

    The labels and texts of ``trees`` are kept. The report is the one of ``trees`` plus
    ``samples_without_contents`` (trees with no content tree: zero content columns),
    ``contents_without_tree`` (content trees of no sample, left out),
    ``contents_label_differs`` (the two releases label the sample differently; ``trees``'
    label kept) and ``content_nodes_added``.
    """
    by_id = {sample.id: sample for sample in contents}
    widths = (
        max((s.num_features for s in trees), default=0),
        max((s.num_features for s in contents), default=0),
    )
    report = LoadReport(trees.report.source, list(trees.report.dropped), dict(trees.report.changes))
    samples = []
    for tree in trees:
        match = by_id.get(tree.id)
        report.count("samples_without_contents", int(match is None))
        if match is not None:
            report.count("contents_label_differs", int(str(match.label) != str(tree.label)))
            report.count("content_nodes_added", match.num_nodes - 1)
        samples.append(graft(tree, match, widths))
    kept = {tree.id for tree in trees}
    report.count("contents_without_tree", sum(1 for sample in contents if sample.id not in kept))
    return TreeDataset(samples, report)
