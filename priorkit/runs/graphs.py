"""Graph preparation for a trained or training model: samples -> PyG graphs with labels, user
codes and (frozen encoders) cached text embeddings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from torch_geometric.data import Data

from priorkit.data.cache import default_cache_dir, load_cached
from priorkit.data.dataset import TreeDataset
from priorkit.data.memory import paused_gc
from priorkit.data.sample import TreeSample
from priorkit.data.sources import DataSource, as_dataset
from priorkit.data.tensors import sample_to_data
from priorkit.encoders.text import TextEncoder
from priorkit.encoders.text_table import attach_text_embeddings, encode_texts
from priorkit.runs.config import ConfigSource, RunConfig
from priorkit.runs.schema import DataSchema

if TYPE_CHECKING:
    from collections.abc import Sequence


def load_split(path: str, cache_dir: str | None) -> TreeDataset:
    """A JSONL file through the processed cache."""
    return load_cached("jsonl", path, cache_dir=cache_dir if cache_dir is not None else default_cache_dir())


def to_graphs(
    dataset: Sequence[TreeSample],
    schema: DataSchema,
    encoder: TextEncoder | None,
    cache_dir: str | Path | None,
    labelled: bool = True,
) -> list[Data]:
    """Graphs numbered by the run's schema and, for a frozen encoder, with precomputed text
    embeddings.

    Args:
        dataset: the samples.
        schema: the run's labels, node text and user vocabulary.
        encoder: the run's text encoder (None: no embeddings attached).
        cache_dir: the embedding cache (None: ``$PRIORKIT_CACHE`` or ~/.cache/priorkit).
        labelled: give each graph its class index ``y`` (every sample needs a label the schema
            knows); False leaves ``y`` out, for prediction on unlabelled samples.
    """
    labels = schema.labels if labelled else None
    with paused_gc():
        graphs = [sample_to_data(sample, labels, schema.users) for sample in dataset]
    if encoder is not None and encoder.frozen:
        folder = cache_dir if cache_dir is not None else default_cache_dir()
        attach_text_embeddings(graphs, encoder, folder, node_text=schema.node_text)
    return graphs


def text_features(
    dataset: DataSource, config: ConfigSource, encoder: TextEncoder | None = None
) -> np.ndarray:
    """The run's frozen text embedding of each sample's text (through the embedding cache), for
    references, story grouping and text neighbours outside the model (``dataset`` and ``config``
    as ``pk.fit`` takes them; ``encoder``: one already built for the run, e.g. a trained
    model's; default: built from ``config``).

    Shapes:
        -> (len(dataset), t).
    """
    dataset, config = as_dataset(dataset, "dataset"), RunConfig.of(config)
    encoder = encoder or TextEncoder(config.model.text_encoder)
    folder = config.train.cache_dir or default_cache_dir()
    return encode_texts([s.text for s in dataset], encoder, folder)[0].numpy()
