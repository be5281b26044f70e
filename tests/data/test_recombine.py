import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Data

from priorkit.data.recombine import (
    column_std,
    permute_nodes,
    select_rows,
    split_rows,
    with_node_rows,
    with_text_of,
    with_tree_of,
)


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


def _sparse_graph(rows: int, seed: int) -> Data:
    generator = torch.Generator().manual_seed(seed)
    x = (torch.rand(rows, 50, generator=generator) > 0.9).float() * torch.arange(1.0, 51.0)
    return Data(x=x.to_sparse_coo(), user_code=torch.arange(rows), num_nodes=rows)


def test_sparse_node_content_moves_like_dense_content_and_stays_sparse() -> None:
    graphs = [_sparse_graph(6, 0), _sparse_graph(4, 1)]
    masks = [torch.tensor([False, True, True, False, True, True]), torch.tensor([True, False, True, True])]
    by = [torch.zeros(6, dtype=torch.long), torch.zeros(4, dtype=torch.long)]
    as_dense = [Data(x=g.x.to_dense(), user_code=g.user_code, num_nodes=g.num_nodes) for g in graphs]
    sparse_out = permute_nodes(graphs, masks, torch.Generator().manual_seed(3), by)
    dense_out = permute_nodes(as_dense, masks, torch.Generator().manual_seed(3), by)
    for s, d, g, m in zip(sparse_out, dense_out, graphs, masks, strict=True):
        assert s.x.is_sparse and not d.x.is_sparse
        torch.testing.assert_close(s.x.to_dense(), d.x)
        torch.testing.assert_close(s.x.to_dense()[~m], g.x.to_dense()[~m])  # unmasked rows untouched
        assert torch.equal(s.user_code, d.user_code)


def test_blanking_one_row_of_a_sparse_graph() -> None:
    graph = _sparse_graph(5, 2)
    mask = torch.tensor([False, False, True, False, False])
    out = with_node_rows(graph, mask, {"x": torch.zeros(1, 50)})
    expected = graph.x.to_dense().clone()
    expected[2] = 0
    assert out.x.is_sparse
    torch.testing.assert_close(out.x.to_dense(), expected)
    torch.testing.assert_close(
        select_rows(graph.x, torch.tensor([4, 0])).to_dense(), graph.x.to_dense()[[4, 0]]
    )


def _sparse_value(rows: int, columns: int, dense_width: int, density: float, duplicated: bool, seed: int):  # type: ignore[no-untyped-def]
    """A random (rows, columns[, dense_width]) value, dense and as sparse COO (2 sparse dims);
    ``duplicated``: uncoalesced, every entry stored twice as two halves."""
    generator = torch.Generator().manual_seed(seed)
    shape = (rows, columns, dense_width) if dense_width else (rows, columns)
    full = torch.randn(shape, generator=generator) * (
        torch.rand(rows, columns, generator=generator) < density
    ).reshape(rows, columns, *([1] if dense_width else []))
    value = full.to_sparse(2)
    if duplicated:
        value = torch.sparse_coo_tensor(
            torch.cat([value.indices(), value.indices()], 1),
            torch.cat([value.values() / 2, value.values() / 2]),
            size=shape,
        )
        assert value._nnz() == 0 or not value.is_coalesced()
    return full, value


SPARSE_VALUES = {
    "columns": st.integers(1, 7),
    "dense_width": st.sampled_from([0, 3]),
    "density": st.floats(0.0, 1.0),
    "duplicated": st.booleans(),
    "seed": st.integers(0, 2**16),
}


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 12), picks=st.lists(st.integers(0, 11), max_size=20), **SPARSE_VALUES)
def test_sparse_rows_are_the_dense_rows(rows, columns, dense_width, density, picks, duplicated, seed) -> None:  # type: ignore[no-untyped-def]
    """Any rows (repeated, empty, none) of any sparse COO value, coalesced or not, with dense
    trailing dimensions or without, are the dense value's rows."""
    full, value = _sparse_value(rows, columns, dense_width, density, duplicated, seed)
    index = torch.tensor([p % rows for p in picks], dtype=torch.long)
    out = select_rows(value, index)
    assert out.is_sparse and out.shape == (len(picks), *full.shape[1:])
    torch.testing.assert_close(out.to_dense(), full[index])


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(0, 5), min_size=1, max_size=6), **SPARSE_VALUES)
def test_sparse_blocks_are_the_dense_blocks(sizes, columns, dense_width, density, duplicated, seed) -> None:  # type: ignore[no-untyped-def]
    """Cutting a sparse value into consecutive blocks (empty ones too) gives the dense blocks,
    each sparse, coalesced and of its own number of rows; dense values are cut alike."""
    full, value = _sparse_value(sum(sizes), columns, dense_width, density, duplicated, seed)
    blocks = split_rows(value, sizes)
    expected = torch.split(full, sizes)
    assert len(blocks) == len(sizes)
    for block, want, dense_block in zip(blocks, expected, split_rows(full, sizes), strict=True):
        assert block.is_sparse and block.is_coalesced() and block.shape == want.shape
        torch.testing.assert_close(block.to_dense(), want)
        assert torch.equal(dense_block, want)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 12), **{k: v for k, v in SPARSE_VALUES.items() if k != "dense_width"})
def test_column_stds_of_a_sparse_value_are_the_dense_ones(rows, columns, density, duplicated, seed) -> None:  # type: ignore[no-untyped-def]
    full, value = _sparse_value(rows, columns, 0, density, duplicated, seed)
    torch.testing.assert_close(column_std(value), full.std(0, unbiased=False))
