"""Turning the data of a run into graphs with text embeddings, and into loaders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from torch_geometric.data import Data

from priorkit.data.cache import default_cache_dir, load_cached
from priorkit.data.dataset import TreeDataset
from priorkit.data.labels import LabelSpace
from priorkit.data.memory import paused_gc
from priorkit.data.tensors import sample_to_data
from priorkit.data.users import UserVocabulary
from priorkit.encoders.text import TextEncoder
from priorkit.encoders.text_table import attach_text_embeddings, encode_texts
from priorkit.errors import PriorkitError

if TYPE_CHECKING:
    from priorkit.training.config import RunConfig


class IncompatibleDataError(PriorkitError, ValueError):
    """Data that a trained run cannot score: unseen labels, another feature width."""


@dataclass(frozen=True)
class DataSchema:
    """What a run fixes about its data: the labels and the node feature width.

    Args:
        labels: the label space of the training data.
        num_features: node feature width; sparse: bag-of-words features.
        node_text: whether samples carry node texts.
        users: the training user vocabulary (``node_input.users: vocab``), else None.
    """

    labels: LabelSpace
    num_features: int
    sparse: bool
    node_text: bool
    users: UserVocabulary | None = None

    @classmethod
    def of(cls, train: TreeDataset, user_min_count: int | None = None) -> DataSchema:
        """The schema of training data; with ``user_min_count``, also its user vocabulary."""
        first = train[0]
        return cls(
            LabelSpace.from_labels(train.labels),
            train.num_features,
            first.features is not None and not isinstance(first.features, np.ndarray),
            any(s.node_text is not None for s in train),
            None if user_min_count is None else UserVocabulary.build(train, user_min_count),
        )

    def check(self, dataset: TreeDataset, where: str) -> None:
        """Refuse data this run cannot score, naming the reason and the fix."""
        unseen = sorted({str(label) for label in dataset.labels} - {str(n) for n in self.labels.names})
        if unseen:
            known = ", ".join(map(str, self.labels.names))
            raise IncompatibleDataError(
                f"{where}: expected labels among {known} (got {', '.join(unseen)}). "
                "The run was trained on those labels only; relabel the data or train on it."
            )
        if len(dataset) and dataset.num_features != self.num_features:
            raise IncompatibleDataError(
                f"{where}: expected {self.num_features} node features (got {dataset.num_features}). "
                "Use data built like the training data (same converter and settings)."
            )

    def to_dict(self) -> dict[str, object]:
        return {
            "labels": list(self.labels.names),
            "num_features": self.num_features,
            "sparse": self.sparse,
            "node_text": self.node_text,
            "users": None if self.users is None else self.users.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DataSchema:
        return cls(
            LabelSpace(tuple(data["labels"])),
            int(data["num_features"]),  # type: ignore[arg-type]
            bool(data["sparse"]),
            bool(data["node_text"]),
            None if data.get("users") is None else UserVocabulary.from_dict(data["users"]),  # type: ignore[arg-type]
        )


def load_split(path: str, cache_dir: str | None) -> TreeDataset:
    """A JSONL file through the processed cache."""
    return load_cached("jsonl", path, cache_dir=cache_dir if cache_dir is not None else default_cache_dir())


def to_graphs(
    dataset: TreeDataset, schema: DataSchema, encoder: TextEncoder | None, cache_dir: str | Path | None
) -> list[Data]:
    """Graphs with labels and, for a frozen encoder, precomputed text embeddings."""
    with paused_gc():
        graphs = [sample_to_data(sample, schema.labels, schema.users) for sample in dataset]
    if encoder is not None and encoder.frozen:
        folder = cache_dir if cache_dir is not None else default_cache_dir()
        attach_text_embeddings(graphs, encoder, folder, node_text=schema.node_text)
    return graphs


def text_features(dataset: TreeDataset, config: RunConfig) -> np.ndarray:
    """The run's frozen text embedding of each sample's text (through the embedding cache), for
    references and story grouping outside the model.

    Shapes:
        -> (len(dataset), t).
    """
    encoder = TextEncoder(config.model.text_config())
    folder = config.train.cache_dir or default_cache_dir()
    return encode_texts([s.text for s in dataset], encoder, folder)[0].numpy()
