import numpy as np
import pytest
import torch

from priorkit.functional.tree import child_count, edge_index_from_parent, is_leaf, walk_to_root


def random_forest(rng: np.random.Generator, n: int, trees: int) -> np.ndarray:
    parent = np.arange(n)
    order = rng.permutation(n)
    for k, node in enumerate(order[trees:], start=trees):
        parent[node] = order[rng.integers(0, k)]
    return parent


def slow_depth_and_root(parent: np.ndarray) -> tuple[list[int], list[int]]:
    depths, roots = [], []
    for node in range(len(parent)):
        depth = 0
        while parent[node] != node:
            node = parent[node]
            depth += 1
        depths.append(depth)
        roots.append(node)
    return depths, roots


@pytest.mark.parametrize("seed", range(5))
def test_walk_matches_slow_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    parent = random_forest(rng, 300, trees=4)
    walk = walk_to_root(torch.from_numpy(parent))
    depth, root = slow_depth_and_root(parent)
    assert walk.depth.tolist() == depth
    assert walk.root.tolist() == root
    assert not walk.on_cycle.any()


def test_walk_on_a_deep_chain() -> None:
    parent = torch.cat([torch.tensor([0]), torch.arange(0, 999)])
    walk = walk_to_root(parent)
    assert walk.depth.tolist() == list(range(1000))


def test_cycles_and_nodes_below_them_are_flagged() -> None:
    # 0 is a root with child 1; 2 <-> 3 form a cycle; 4 hangs below 3.
    walk = walk_to_root(torch.tensor([0, 0, 3, 2, 3]))
    assert walk.on_cycle.tolist() == [False, False, True, True, True]


def test_edges_children_and_leaves() -> None:
    parent = torch.tensor([0, 0, 0, 1, 3])
    assert edge_index_from_parent(parent).tolist() == [[0, 0, 1, 3], [1, 2, 3, 4]]
    assert child_count(parent).tolist() == [2, 1, 0, 1, 0]
    assert is_leaf(parent).tolist() == [False, False, True, False, True]
