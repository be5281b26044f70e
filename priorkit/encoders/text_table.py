"""Precomputed text embeddings for frozen encoders, attached to graphs before batching."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import torch
from torch_geometric.data import Data

from priorkit.encoders.embedding_cache import EmbeddingCache
from priorkit.encoders.text import TextEncoder


def encode_texts(
    texts: Sequence[str], encoder: TextEncoder, cache_dir: str | os.PathLike[str] | None = None
) -> tuple[torch.Tensor, EmbeddingCache | None]:
    """The frozen embedding of each text, through the on-disk cache when ``cache_dir`` is given.

    Shapes:
        -> (len(texts), t) and the cache used (None without ``cache_dir``).
    """
    cache = EmbeddingCache(cache_dir, encoder.namespace, encoder.dim) if cache_dir is not None else None
    table = cache.get_or_encode(texts, encoder.encode) if cache is not None else encoder.encode(list(texts))
    return table, cache


def attach_text_embeddings(
    graphs: Sequence[Data],
    encoder: TextEncoder,
    cache_dir: str | os.PathLike[str] | None = None,
    node_text: bool = True,
) -> EmbeddingCache | None:
    """Set ``text_embedding`` (1, t) and, with ``node_text``, ``node_text_embedding`` (n, t) on
    every graph (zeros for nodes without text, and for graphs with none); every distinct text
    is encoded once (through the on-disk cache when ``cache_dir`` is given).

    Returns:
        the cache used (its ``stats`` tell hits, misses and encoder calls), or None.
    """
    used: list[EmbeddingCache | None] = [None]

    def table(texts: list[str]) -> torch.Tensor:
        embedded, used[0] = encode_texts(texts, encoder, cache_dir)
        return embedded

    attach_embeddings(graphs, table, node_text)
    return used[0]


def attach_embeddings(
    graphs: Sequence[Data], table: Callable[[list[str]], torch.Tensor], node_text: bool = True
) -> None:
    """:func:`attach_text_embeddings` with the embeddings of the distinct texts from ``table``
    (texts -> one row each, in order).

    Shapes:
        table: list of k texts -> (k, t).
    """
    texts = {g.text for g in graphs}
    if node_text:
        texts |= {t for g in graphs for t in g.node_text if t is not None}
    ordered = sorted(texts)
    embedded = table(ordered)
    row = {text: i for i, text in enumerate(ordered)}
    for graph in graphs:
        graph.text_embedding = embedded[row[graph.text]].unsqueeze(0)
        if node_text:  # every graph, zeros where a node has no text: batches must agree
            index = torch.tensor([row.get(t, -1) if t is not None else -1 for t in graph.node_text])
            nodes = torch.zeros(len(index), embedded.size(1))
            known = index >= 0
            nodes[known] = embedded[index[known]]
            graph.node_text_embedding = nodes
