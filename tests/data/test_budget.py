"""Node budgets keep the earliest (or shallowest) nodes, closed under parents."""

from __future__ import annotations

import numpy as np
import pytest

from priorkit.data.budget import apply_node_budget, arrival_order, first_nodes
from priorkit.data.dataset import TreeDataset
from priorkit.data.records import sample_from_dict
from priorkit.data.sample import TreeSample
from priorkit.data.synth import SynthConfig, generate

# a(t 0) -> b(t 5) -> d(t 2: logged before its parent); a -> c(t 1) -> e(t 3); a -> f (no time)
NODES = [
    ("a", None, 0.0),
    ("b", "a", 5.0),
    ("c", "a", 1.0),
    ("d", "b", 2.0),
    ("e", "c", 3.0),
    ("f", "a", None),
]


def tree() -> TreeSample:
    nodes = []
    for i, (node, parent, time) in enumerate(NODES):
        entry = {"id": node, "parent": parent, "features": [float(i)], "user": f"user-{node}"}
        if time is not None:
            entry["time"] = time
        nodes.append(entry)
    return sample_from_dict({"id": "t", "text": "x", "label": "a", "nodes": nodes})


def ids(sample: TreeSample) -> list[str]:
    return list(sample.node_ids)


def test_time_order_waits_for_the_parent_and_puts_unknown_times_last() -> None:
    sample = tree()
    assert [sample.node_ids[i] for i in arrival_order(sample, "time")] == ["a", "c", "e", "b", "d", "f"]
    assert ids(first_nodes(sample, 3)) == ["a", "c", "e"]
    assert ids(first_nodes(sample, 5)) == ["a", "b", "c", "d", "e"]  # node order within the sample kept


def test_depth_order_is_breadth_first_by_time_within_a_level() -> None:
    sample = tree()
    assert [sample.node_ids[i] for i in arrival_order(sample, "depth")] == ["a", "c", "b", "f", "d", "e"]
    assert ids(first_nodes(sample, 3, "depth")) == ["a", "b", "c"]


def test_every_node_field_follows_the_kept_nodes() -> None:
    sample = tree()
    kept = first_nodes(sample, 4)
    assert ids(kept) == ["a", "b", "c", "e"]
    assert kept.parent_index.tolist() == [0, 0, 0, 2]
    assert kept.depth.tolist() == [0, 1, 1, 2]
    assert kept.features[:, 0].tolist() == [0.0, 1.0, 2.0, 4.0]
    assert kept.time.tolist() == [0.0, 5.0, 1.0, 3.0]
    assert kept.user == ["user-a", "user-b", "user-c", "user-e"]
    assert sample.num_nodes == 6 and sample.parent_index.tolist() == [0, 0, 0, 1, 2, 0]  # input untouched


def test_small_trees_and_no_budget_are_left_alone() -> None:
    sample = tree()
    assert first_nodes(sample, 6) is sample
    dataset = TreeDataset([sample])
    assert apply_node_budget(dataset, None) is dataset
    with pytest.raises(ValueError, match="max_nodes: expected an integer >= 1"):
        first_nodes(sample, 0)


@pytest.mark.parametrize("order", ["time", "depth"])
def test_kept_nodes_are_closed_under_parents_on_generated_trees(order: str) -> None:
    config = SynthConfig(n_train=40, n_val=2, n_test=2, min_nodes=5, max_nodes=60, seed=3)
    for sample in generate(config)["train"]:
        budget = max(1, sample.num_nodes // 3)
        kept = first_nodes(sample, budget, order)  # type: ignore[arg-type]
        assert kept.num_nodes == min(budget, sample.num_nodes)
        assert (kept.parent_index >= 0).all()
        recomputed = TreeSample(kept.id, kept.text, kept.label, kept.node_ids, kept.parent_index).depth
        np.testing.assert_array_equal(recomputed, kept.depth)
        position = {node: i for i, node in enumerate(sample.node_ids)}
        for i, node in enumerate(kept.node_ids):  # every edge is an edge of the original tree
            parent = kept.node_ids[kept.parent_index[i]]
            assert sample.node_ids[sample.parent_index[position[node]]] == parent
