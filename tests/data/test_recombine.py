import torch
from torch_geometric.data import Data

from priorkit.data.recombine import with_text_of, with_tree_of


def graphs() -> list[Data]:
    return [
        Data(x=torch.full((k + 2, 1), float(k)), text=f"t{k}", y=torch.tensor([k % 2]), sample_id=f"s{k}")
        for k in range(4)
    ]


def test_each_recombination_moves_only_its_modality() -> None:
    data = graphs()
    donors = [data[k] for k in (1, 0, 3, 2)]
    text = with_text_of(data, donors)
    assert text[0].text == "t1" and torch.equal(text[0].x, data[0].x) and text[0].y == data[0].y
    tree = with_tree_of(data, donors)
    assert tree[0].text == "t0" and torch.equal(tree[0].x, data[1].x) and tree[0].y == data[0].y
    assert tree[0].sample_id == "s0" and tree[0].num_nodes == 3
    assert data[0].text == "t0" and torch.equal(data[0].x, torch.zeros(2, 1))  # inputs untouched


def test_a_batch_permutation_moves_content_among_masked_nodes_of_one_bucket_only() -> None:
    from priorkit.data.batch import collate
    from priorkit.data.recombine import permute_batch_nodes
    from tests.priors.conftest import tiny_graphs

    batch = collate(tiny_graphs(8))
    g = batch.graph
    mask = g.depth >= 2
    bucket = g.depth.clamp(max=3)
    out = permute_batch_nodes(batch, mask, bucket, torch.Generator().manual_seed(0))
    assert out.y is None and batch.y is not None  # a new, unlabelled batch; the input is untouched
    moved = out.graph
    assert torch.equal(moved.x[~mask], g.x[~mask]) and not torch.equal(moved.x[mask], g.x[mask])
    for depth in (2, 3):  # every bucket keeps exactly its own rows, reordered
        rows = mask & (bucket == depth)
        assert torch.equal(moved.x[rows].sort(0).values, g.x[rows].sort(0).values)
    assert torch.equal(moved.depth, g.depth) and torch.equal(moved.edge_index, g.edge_index)
    assert torch.equal(moved.time[mask].sort().values, g.time[mask].sort().values)
