"""Training data streamed from a JSONL file (``data.stream``): the run's schema, its text
embeddings and its graphs, made without holding the training samples in memory.

One pass over the file, before training, checks every line, gathers the schema (labels, feature
width, user vocabulary, groups), counts the nodes and fills the embedding cache with every text
a frozen encoder will need (a few thousand texts an encoder call). Each epoch then reads the
samples again in the loader's order: a graph is made when its sample is asked for, and a batch's
text embeddings are read from the cache when the batch is made. Memory holds the file's line
offsets and the ids of its samples, not the samples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import Dataset
from torch_geometric.data import Data

from priorkit.data.batch import PriorBatch, collate, pairs_of
from priorkit.data.cache import default_cache_dir
from priorkit.data.jsonl_stream import JsonlStream
from priorkit.data.sample import TreeSample
from priorkit.data.tensors import sample_to_data
from priorkit.encoders.embedding_cache import EmbeddingCache
from priorkit.encoders.text import TextEncoder
from priorkit.encoders.text_table import attach_embeddings
from priorkit.runs.schema import DataSchema

TEXTS_PER_CALL = 4096  # texts encoded per encoder call while the cache is filled


class StreamedGraphs(Dataset[Data]):
    """The graph of each line of a streamed file, made when it is asked for.

    Args:
        stream: the file's samples.
        schema: the run's labels and user vocabulary.
    """

    def __init__(self, stream: JsonlStream, schema: DataSchema) -> None:
        self.stream, self.schema = stream, schema

    def __len__(self) -> int:
        return len(self.stream)

    def __getitem__(self, index: int) -> Data:
        return sample_to_data(self.stream[index], self.schema.labels, self.schema.users)


class CachedEmbeddings:
    """A collate function: the batch of :func:`~priorkit.data.batch.collate` with the text
    embeddings of its graphs read from the embedding cache (encoded there when missing).

    Args:
        encoder: the run's frozen text encoder.  cache: its embedding cache.
        node_text: also embed the nodes' texts.
    """

    def __init__(self, encoder: TextEncoder, cache: EmbeddingCache, node_text: bool) -> None:
        self.encoder, self.cache, self.node_text = encoder, cache, node_text

    def __call__(self, graphs: Sequence[Data]) -> PriorBatch:
        attach_embeddings(graphs, self.table, self.node_text)
        return collate(graphs)

    def table(self, texts: list[str]) -> torch.Tensor:
        """The embeddings of ``texts``, one row each.

        Shapes:
            texts: k strings -> (k, t).
        """
        return self.cache.get_or_encode(texts, self.encoder.encode)


@dataclass
class StreamedTrain:
    """Args:
    schema: the run's schema, from the whole file.  graphs: the training graphs, made on demand.
    groups: each original with its counterfactuals (``counterfactual_of``), or None.
    nodes: the nodes of every training sample (after the node budget).
    collate: builds a training batch (with its text embeddings for a frozen encoder).
    """

    schema: DataSchema
    graphs: StreamedGraphs
    groups: list[list[int]] | None
    nodes: int
    collate: CachedEmbeddings | None


def stream_training(
    stream: JsonlStream, user_min_count: int | None, encoder: TextEncoder, cache_dir: str | Path | None
) -> StreamedTrain:
    """The training part of a run from a streamed file, after one pass over it (``cache_dir``:
    the embedding cache; None: ``$PRIORKIT_CACHE`` or ~/.cache/priorkit).

    Raises:
        DataValidationError: every problem of the file's lines (after the pass).
    """
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    cache = EmbeddingCache(folder, encoder.namespace, encoder.dim) if encoder.frozen else None
    survey = _Pass(cache, encoder)
    schema = DataSchema.of(survey.visit(stream), user_min_count)
    survey.flush()
    collate_fn = None if cache is None else CachedEmbeddings(encoder, cache, schema.node_text)
    groups = pairs_of(survey.ids, survey.originals)
    return StreamedTrain(schema, StreamedGraphs(stream, schema), groups, survey.nodes, collate_fn)


class _Pass:
    """What the pass over a streamed file gathers beside the schema: ids, node counts, and the
    texts to encode (sent to the cache a chunk at a time)."""

    def __init__(self, cache: EmbeddingCache | None, encoder: TextEncoder) -> None:
        self.cache, self.encoder = cache, encoder
        self.ids: list[str] = []
        self.originals: list[str] = []
        self.nodes = 0
        self.texts: set[str] = set()

    def visit(self, samples: JsonlStream) -> Iterator[TreeSample]:
        for sample in samples:
            self.ids.append(sample.id)
            self.originals.append(sample.counterfactual_of or "")
            self.nodes += sample.num_nodes
            if self.cache is not None and not samples.problems:  # no encoding for a file to refuse
                self._texts(sample)
            yield sample

    def _texts(self, sample: TreeSample) -> None:
        self.texts.add(sample.text)
        self.texts.update(t for t in sample.node_text or () if t is not None)
        if len(self.texts) >= TEXTS_PER_CALL:
            self.flush()

    def flush(self) -> None:
        if self.cache is not None and self.texts:
            self.cache.ensure(sorted(self.texts), self.encoder.encode)
        self.texts = set()
