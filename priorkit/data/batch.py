"""``PriorBatch``: what a model's forward receives, and the collate function that builds it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor
from torch.utils.data import DataLoader
from torch_geometric.data import Batch, Data

from priorkit.data.dataset import TreeDataset
from priorkit.data.labels import LabelSpace
from priorkit.data.tensors import sample_to_data


@dataclass(frozen=True)
class PriorBatch:
    """A batch of b samples: their trees as one PyG ``Batch``, their texts and labels.

    Args:
        graph: the trees, with the fields of :func:`sample_to_data` plus ``batch`` and ``ptr``.
        text: the sample texts.
        y: class indices, or None for unlabelled data.
        sample_id: the sample ids.
        node_text: the text of every node of the batch (None where a node has none).
        text_embedding: precomputed embeddings of the texts (frozen text encoders), or None.
        node_text_embedding: precomputed embeddings of the node texts (zeros where none), or None.

    Shapes:
        graph.x: (n, f); graph.edge_index: (2, e); graph.batch: (n,); graph.root_index: (b,);
        y: (b,) int64; text_embedding: (b, t); node_text_embedding: (n, t).
    """

    graph: Batch
    text: list[str]
    y: Tensor | None
    sample_id: list[str]
    node_text: list[str | None]
    text_embedding: Tensor | None = None
    node_text_embedding: Tensor | None = None

    @property
    def num_graphs(self) -> int:
        return len(self.text)

    def to(self, device: torch.device | str) -> PriorBatch:
        """The same batch on another device (texts stay on the host)."""

        def move(tensor: Tensor | None) -> Tensor | None:
            return None if tensor is None else tensor.to(device)

        return replace(
            self,
            graph=self.graph.to(device),
            y=move(self.y),
            text_embedding=move(self.text_embedding),
            node_text_embedding=move(self.node_text_embedding),
        )


def collate(items: Sequence[Data]) -> PriorBatch:
    """Collate graphs made by :func:`sample_to_data` into a :class:`PriorBatch`."""
    graph = Batch.from_data_list(list(items))
    y = graph.y if "y" in graph else None
    node_text = [text for per_graph in graph.node_text for text in per_graph]
    return PriorBatch(
        graph=graph,
        text=list(graph.text),
        y=y,
        sample_id=list(graph.sample_id),
        node_text=node_text,
        text_embedding=graph.get("text_embedding"),
        node_text_embedding=graph.get("node_text_embedding"),
    )


def make_loader(
    dataset: TreeDataset,
    labels: LabelSpace | None,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
) -> DataLoader[PriorBatch]:
    """A ``DataLoader`` of :class:`PriorBatch` over a dataset (graphs are built once, up front).

    Args:
        dataset: the samples.
        labels: maps labels to classes; None leaves ``y`` out.
        batch_size: samples per batch.
        shuffle: reshuffle every epoch, reproducibly from ``seed``.
        seed: seed of the shuffling generator.
    """
    return graph_loader([sample_to_data(sample, labels) for sample in dataset], batch_size, shuffle, seed)


def graph_loader(
    graphs: Sequence[Data], batch_size: int, shuffle: bool = False, seed: int = 0
) -> DataLoader[PriorBatch]:
    """A ``DataLoader`` of :class:`PriorBatch` over graphs made by :func:`sample_to_data`."""
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        graphs,
        batch_size=batch_size,
        shuffle=shuffle,
        collate_fn=collate,  # type: ignore[arg-type]
        generator=generator,
    )
