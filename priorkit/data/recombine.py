"""Recombining samples: one sample's text with another sample's tree, or nodes' content with
other nodes' content.

Reliance by permutation (what a model does when a modality, or the nodes of a group, come
from another sample) and counterfactual augmentation (texts paired with trees of another
label, leaves shuffled) are built on these. Graphs are shallow-copied; the inputs are never modified.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import torch
from torch import Tensor
from torch_geometric.data import Data

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch

TEXT_FIELDS = ("text", "text_embedding")
SAMPLE_FIELDS = (*TEXT_FIELDS, "y", "sample_id")


def _take(bases: Sequence[Data], sources: Sequence[Data], fields: tuple[str, ...]) -> list[Data]:
    """Copies of ``bases`` with ``fields`` taken from the matching ``sources``."""
    out = []
    for base, source in zip(bases, sources, strict=True):
        graph = copy.copy(base)
        for field in fields:
            if field in source:
                graph[field] = source[field]
        out.append(graph)
    return out


def with_text_of(receivers: Sequence[Data], donors: Sequence[Data]) -> list[Data]:
    """Each receiver keeps its tree and label and gets the text of its donor."""
    return _take(receivers, donors, TEXT_FIELDS)


def with_tree_of(receivers: Sequence[Data], donors: Sequence[Data]) -> list[Data]:
    """Each receiver keeps its text, label and id and gets the tree of its donor."""
    return _take(donors, receivers, SAMPLE_FIELDS)


NODE_CONTENT = ("x", "user_code", "node_text_embedding", "time", "time_mask")
"""What a node brings of its own: everything but its place in the tree (depth, parent)."""


def dense(value: Tensor) -> Tensor:
    """``value`` as a dense tensor (node features may be sparse COO)."""
    return value.to_dense() if value.is_sparse else value


def column_std(value: Tensor) -> Tensor:
    """The population standard deviation of each column over the rows; a sparse COO value is
    never made dense (its moments are summed over the non-zeros, in float64).

    Shapes:
        value: (n, f) -> (f,).
    """
    if not value.is_sparse:
        return value.std(0, unbiased=False)
    value = value.coalesce()
    rows = value.size(0)
    values = value.values().double()

    def column_mean(of: Tensor) -> Tensor:
        summed = torch.sparse_coo_tensor(
            value.indices(), of, value.shape, dtype=torch.float64, is_coalesced=True, check_invariants=False
        )
        return torch.sparse.sum(summed, 0).to_dense() / rows

    mean = column_mean(values)
    return (column_mean(values * values) - mean * mean).clamp_min(0.0).sqrt().to(value.dtype)


def select_rows(value: Tensor, index: Tensor) -> Tensor:
    """Rows ``index`` of ``value``; a sparse COO value stays sparse (a bag of words of 5,000
    columns is never made dense).

    Shapes:
        value: (n, ...); index: (k,) int64 -> (k, ...).
    """
    return value.index_select(0, index) if value.is_sparse else value[index]


def split_rows(value: Tensor, sizes: Sequence[int]) -> list[Tensor]:
    """``value`` cut into consecutive blocks of ``sizes`` rows; sparse COO blocks stay sparse and
    are cut in one pass over the non-zeros (a row gather per block would scan them all each time).

    Shapes:
        value: (sum(sizes), ...) -> [(sizes[i], ...)].
    """
    if not value.is_sparse:
        return list(torch.split(value, list(sizes)))
    value = value.coalesce()
    index, values = value.indices(), value.values()
    bounds = torch.cumsum(torch.tensor([0, *sizes]), 0)
    cuts = torch.searchsorted(index[0].contiguous(), bounds).tolist()
    blocks = []
    for lo, hi, start, size in zip(cuts[:-1], cuts[1:], bounds[:-1].tolist(), sizes, strict=True):
        block_index = index[:, lo:hi].clone()
        block_index[0] -= start
        blocks.append(
            torch.sparse_coo_tensor(
                block_index,
                values[lo:hi],
                size=(size, *value.shape[1:]),
                is_coalesced=True,
                check_invariants=False,
            )
        )
    return blocks


def _put_sparse_rows(value: Tensor, mask: Tensor, rows: Tensor) -> Tensor:
    """``value`` (sparse COO) with its masked rows replaced by ``rows`` (sparse or dense), in order.

    Shapes:
        value: (n, f); mask: (n,) bool with k True; rows: (k, f) -> (n, f) sparse COO.
    """
    value = value.coalesce()
    index, values = value.indices(), value.values()
    kept = ~mask[index[0]]
    new = (rows if rows.is_sparse else rows.to_sparse_coo()).coalesce()
    positions = torch.nonzero(mask).flatten()
    new_index = torch.stack([positions[new.indices()[0]], new.indices()[1]])
    return torch.sparse_coo_tensor(
        torch.cat([index[:, kept], new_index], dim=1),
        torch.cat([values[kept], new.values().to(values.dtype)]),
        size=value.shape,
    ).coalesce()


def with_node_rows(
    graph: Data, mask: Tensor, rows: dict[str, Tensor], fields: tuple[str, ...] = NODE_CONTENT
) -> Data:
    """A copy of ``graph`` whose masked nodes take their ``fields`` from ``rows`` (one row per
    masked node, by field); sparse fields stay sparse.

    Shapes:
        mask: (n,) bool with k True; rows[field]: (k, ...).
    """
    out = copy.copy(graph)
    for name in fields:
        if name in graph and name in rows:
            if graph[name].is_sparse:
                out[name] = _put_sparse_rows(graph[name], mask, rows[name])
                continue
            value = graph[name].clone()
            value[mask] = dense(rows[name]).to(value.dtype)
            out[name] = value
    return out


def shuffle_within(keys: Tensor, generator: torch.Generator) -> Tensor:
    """A random permutation of positions that only moves a position among those with the same key.

    Shapes:
        keys: (k,) -> (k,) int64: position i takes from position ``out[i]``.
    """
    order = torch.arange(keys.numel(), device=keys.device)
    for key in keys.unique().tolist():
        slots = torch.nonzero(keys == key).flatten()
        order[slots] = slots[torch.randperm(slots.numel(), generator=generator).to(keys.device)]
    return order


def permute_nodes(
    graphs: Sequence[Data], masks: Sequence[Tensor], generator: torch.Generator, by: Sequence[Tensor]
) -> list[Data]:
    """Copies of ``graphs`` whose masked nodes swap their content (:data:`NODE_CONTENT`) among
    themselves, across graphs, at random; a node only takes content from a node with the same
    ``by`` key (a depth bucket), so a shuffle moves what nodes bring, not where they sit.

    Shapes:
        masks[i], by[i]: (n_i,) for graph i.
    """
    return [
        with_node_rows(graph, mask, rows)
        for graph, mask, rows in zip(graphs, masks, permuted_rows(graphs, masks, generator, by), strict=True)
    ]


def permuted_rows(
    graphs: Sequence[Data], masks: Sequence[Tensor], generator: torch.Generator, by: Sequence[Tensor]
) -> list[dict[str, Tensor]]:
    """The content each graph's masked nodes take in :func:`permute_nodes` (one draw), by field:
    only the masked rows, so that a caller can build the shuffled graphs one at a time.

    Shapes:
        masks[i], by[i]: (n_i,) for graph i -> [{field: (k_i, ...)}], k_i masked nodes of graph i.
    """
    fields = [name for name in NODE_CONTENT if all(name in g for g in graphs)]
    pooled = {
        name: torch.cat(
            [select_rows(g[name], torch.nonzero(m).flatten()) for g, m in zip(graphs, masks, strict=True)]
        )
        for name in fields
    }
    order = shuffle_within(torch.cat([key[m] for key, m in zip(by, masks, strict=True)]), generator)
    sizes = [int(m.sum()) for m in masks]
    # one gather over the pool, then cut: a gather per graph would scan the whole sparse pool each time
    parts = {name: split_rows(select_rows(pooled[name], order), sizes) for name in fields}
    return [{name: parts[name][i] for name in fields} for i in range(len(graphs))]


def permute_batch_nodes(
    batch: PriorBatch, mask: Tensor, by: Tensor, generator: torch.Generator
) -> PriorBatch:
    """The batch, unlabelled, with the content (:data:`NODE_CONTENT`, node text embeddings
    included) of its masked nodes permuted among them at random, within equal ``by`` keys.

    Shapes:
        mask, by: (n,) over the batch's nodes.
    """
    rows = torch.nonzero(mask).flatten()
    order = rows[shuffle_within(by[rows], generator)]  # the node each masked node takes from
    content = {name: select_rows(batch.graph[name], order) for name in NODE_CONTENT if name in batch.graph}
    graph = with_node_rows(batch.graph, mask, content)
    # a batch's node text embeddings are its graph's (``collate``), so they move with it
    return replace(batch, graph=graph, y=None, node_text_embedding=graph.get("node_text_embedding"))
