"""Grafting a content tree onto the tree of the same sample (priorkit.data.graft)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from priorkit.data.budget import first_nodes
from priorkit.data.dataset import TreeDataset
from priorkit.data.graft import CONTENT_PREFIX, graft, graft_dataset
from priorkit.data.records import sample_from_dict
from priorkit.data.sample import TreeSample
from priorkit.data.tensors import sample_to_data


def spread(sample_id: str = "s", label: str = "a") -> TreeSample:
    """Who spread it: a(t 0) -> b(t 1) -> c(t 2); users, times, two feature columns."""
    nodes = [
        {"id": "a", "parent": None, "time": 0.0, "user": "ua", "features": [1.0, 0.0]},
        {"id": "b", "parent": "a", "time": 1.0, "user": "ub", "features": [2.0, 0.0]},
        {"id": "c", "parent": "b", "time": 2.0, "user": "uc", "features": [3.0, 1.0]},
    ]
    return sample_from_dict({"id": sample_id, "text": "post", "label": label, "nodes": nodes})


def said(sample_id: str = "s", label: str = "a") -> TreeSample:
    """What was said, listed child first: 2 <- 1 (root) -> 3, a bag of 4 words per node."""
    bags = {"2": {1: 2.0}, "1": {0: 1.0, 3: 1.0}, "3": {2: 5.0}}
    order = ["2", "1", "3"]
    rows, cols, vals = [], [], []
    for row, node in enumerate(order):
        for col, value in bags[node].items():
            rows.append(row)
            cols.append(col)
            vals.append(value)
    return TreeSample(
        id=sample_id,
        text="post",
        label=label,
        node_ids=order,
        parent_index=np.asarray([1, 1, 1]),
        features=sp.csr_matrix((vals, (rows, cols)), shape=(3, 4), dtype=np.float32),
    )


def test_the_root_gets_the_root_contents_and_the_replies_hang_below_it() -> None:
    out = graft(spread(), said(), (2, 4))
    assert out.node_ids == ["a", "b", "c", CONTENT_PREFIX + "2", CONTENT_PREFIX + "3"]
    assert out.parent_index.tolist() == [0, 0, 1, 0, 0]
    dense = out.features.toarray()
    assert dense.shape == (5, 6)
    np.testing.assert_array_equal(dense[:3, :2], [[1, 0], [2, 0], [3, 1]])  # own columns kept
    np.testing.assert_array_equal(dense[0, 2:], [1, 0, 0, 1])  # the root's words
    np.testing.assert_array_equal(dense[1:3, 2:], 0)  # spreaders said nothing here
    np.testing.assert_array_equal(dense[3:, :2], 0)
    np.testing.assert_array_equal(dense[3, 2:], [0, 2, 0, 0])
    np.testing.assert_array_equal(dense[4, 2:], [0, 0, 5, 0])
    assert out.user == ["ua", "ub", "uc", None, None]
    assert np.isnan(out.time[3:]).all() and out.time[:3].tolist() == [0.0, 1.0, 2.0]
    assert out.depth.tolist() == [0, 1, 2, 1, 1]
    assert (out.label, out.text, out.id) == ("a", "post", "s")


def test_content_below_content_keeps_its_structure() -> None:
    contents = said()
    contents.parent_index = np.asarray([2, 1, 1])  # 2 now replies to 3
    out = graft(spread(), contents, (2, 4))
    assert out.parent_index.tolist() == [0, 0, 1, 4, 0]
    assert out.depth.tolist() == [0, 1, 2, 2, 1]


def test_node_texts_are_carried() -> None:
    contents = said()
    contents.node_text = ["reply two", "root words", "reply three"]
    out = graft(spread(), contents, (2, 4))
    assert out.node_text == ["root words", None, None, "reply two", "reply three"]


def test_a_sample_without_contents_gets_zero_content_columns() -> None:
    out = graft(spread(), None, (2, 4))
    assert out.num_nodes == 3 and out.features.shape == (3, 6)
    assert out.features[:, 2:].nnz == 0


def test_graft_dataset_joins_by_id_and_reports_what_it_did() -> None:
    trees = TreeDataset([spread("s"), spread("t", label="b")])
    contents = TreeDataset([said("s"), said("t", label="a"), said("lonely")])
    out = graft_dataset(trees, contents)
    assert [s.num_nodes for s in out] == [5, 5]
    assert [s.label for s in out] == ["a", "b"]  # the trees' labels are kept
    assert out.report.changes == {
        "samples_without_contents": 0,
        "contents_label_differs": 1,
        "content_nodes_added": 4,
        "contents_without_tree": 1,
    }
    partial = graft_dataset(trees, TreeDataset([said("t", label="b")]))
    assert partial.report.changes["samples_without_contents"] == 1
    assert {s.features.shape for s in partial} == {(3, 6), (5, 6)}


def test_empty_contents_leave_every_tree_as_it_was() -> None:
    out = graft_dataset(TreeDataset([spread()]), TreeDataset([]))
    assert out[0].node_ids == ["a", "b", "c"] and out[0].features.shape == (3, 2)
    assert out.report.changes["samples_without_contents"] == 1


def test_the_node_budget_keeps_every_content_node_and_counts_none() -> None:
    out = graft(spread(), said(), (2, 4))
    trimmed = first_nodes(out, 2)
    assert trimmed.node_ids == ["a", "b", CONTENT_PREFIX + "2", CONTENT_PREFIX + "3"]
    assert trimmed.parent_index.tolist() == [0, 0, 0, 0]
    assert first_nodes(out, 3) is out


def test_the_grafted_sample_becomes_a_sparse_graph() -> None:
    data = sample_to_data(graft(spread(), said(), (2, 4)))
    assert data.x.is_sparse and tuple(data.x.shape) == (5, 6)
    assert data.x.to_dense()[0, 5].item() == 1.0
