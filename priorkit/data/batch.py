"""``PriorBatch``: what a model's forward receives, and the collate function that builds it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Sampler
from torch_geometric.data import Batch, Data

from priorkit.config import whole_number
from priorkit.data.labels import LabelSpace, label_space_or_none
from priorkit.data.sources import DataSource, as_dataset
from priorkit.data.tensors import sample_to_data
from priorkit.errors import ConfigError, PriorkitError


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
        origin: for each sample, the position in this batch of the sample it is a
            counterfactual of (its ``counterfactual_of``), -1 where none is in the batch.

    Shapes:
        graph.x: (n, f); graph.edge_index: (2, e); graph.batch: (n,); graph.root_index: (b,);
        y: (b,) int64; text_embedding: (b, t); node_text_embedding: (n, t); origin: (b,) int64.
    """

    graph: Batch
    text: list[str]
    y: Tensor | None
    sample_id: list[str]
    node_text: list[str | None]
    text_embedding: Tensor | None = None
    node_text_embedding: Tensor | None = None
    origin: Tensor | None = None

    @property
    def num_graphs(self) -> int:
        return len(self.text)

    @property
    def groups(self) -> list[str]:
        """Each sample's ``group`` ("" for none), in batch order."""
        return [str(name) for name in self.graph.get("group") or [""] * self.num_graphs]

    def to(self, device: torch.device | str) -> PriorBatch:
        """The same batch on another device (texts stay on the host); itself when it is there."""
        if self.graph.edge_index.device == torch.device(device):
            return self

        def move(tensor: Tensor | None) -> Tensor | None:
            return None if tensor is None else tensor.to(device)

        return replace(
            self,
            graph=self.graph.to(device),
            y=move(self.y),
            text_embedding=move(self.text_embedding),
            node_text_embedding=move(self.node_text_embedding),
            origin=move(self.origin),
        )


def collate(items: Sequence[Data]) -> PriorBatch:
    """Collate graphs made by :func:`sample_to_data` into a :class:`PriorBatch`.

    Raises:
        PriorkitError: no graphs, or items that are not such graphs (samples, records).
    """
    _check_graphs(items)
    # sparse node features are concatenated by torch_geometric, whose sparse tensors leave the
    # invariant checks unset (a warning on every run); the parts come from scipy matrices
    # (sample_to_data), in bounds by construction
    with torch.sparse.check_sparse_tensor_invariants(enable=False):
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
        origin=_origins(graph),
    )


def _check_graphs(items: object) -> None:
    """A clear error unless ``items`` is a non-empty sequence of graphs made by
    :func:`sample_to_data`."""
    fix = "Make them with [pk.sample_to_data(s, labels) for s in samples], or use pk.make_loader."
    if isinstance(items, Data) or not isinstance(items, Sequence) or isinstance(items, str):
        raise PriorkitError(f"collate: expected a list of graphs (got {type(items).__name__}). {fix}")
    if len(items) == 0:
        raise PriorkitError("collate: expected at least one graph (got an empty list).")
    for i, item in enumerate(items):
        if not isinstance(item, Data) or "sample_id" not in item:
            raise PriorkitError(
                f"collate: item {i}: expected a graph made by pk.sample_to_data "
                f"(got {type(item).__name__}). {fix}"
            )


def _origins(graph: Batch) -> Tensor:
    """Position of each sample's original within the batch (-1: none)."""
    ids = list(graph.sample_id)
    position = {sample_id: i for i, sample_id in reversed(list(enumerate(ids)))}
    of = graph.get("counterfactual_of") or [""] * len(ids)
    return torch.tensor([position.get(o, -1) if o else -1 for o in of], dtype=torch.long)


def make_loader(
    dataset: DataSource,
    labels: LabelSpace | None,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
) -> DataLoader[PriorBatch]:
    """A ``DataLoader`` of :class:`PriorBatch` over a dataset (graphs are built once, up front).

    Args:
        dataset: the samples: a dataset, a JSONL path, or a list of samples or records.
        labels: maps labels to classes; None leaves ``y`` out.
        batch_size: samples per batch (a whole number >= 1).
        shuffle: reshuffle every epoch, reproducibly from ``seed``.
        seed: seed of the shuffling generator.

    Raises:
        ConfigError: a batch size that is not a whole number >= 1, labels that are not a
            LabelSpace, a shuffle that is not true or false, a seed that is not a whole number >= 0.
    """
    size = whole_number(batch_size, least=1)
    if size is None:
        raise ConfigError(f"batch_size: expected a whole number >= 1 (got {batch_size!r}).")
    label_space_or_none(labels)
    if not isinstance(shuffle, bool):
        raise ConfigError(f"shuffle: expected true or false (got {shuffle!r}).")
    if whole_number(seed, least=0) is None:
        raise ConfigError(f"seed: expected a whole number >= 0 (got {seed!r}).")
    samples = as_dataset(dataset, "dataset")
    return graph_loader([sample_to_data(sample, labels) for sample in samples], size, shuffle, seed)


def graph_loader(
    graphs: Sequence[Data],
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
    groups: list[list[int]] | bool | None = True,
    collate_fn: Callable[[Sequence[Data]], PriorBatch] = collate,
) -> DataLoader[PriorBatch]:
    """A ``DataLoader`` of :class:`PriorBatch` over graphs made by :func:`sample_to_data`.

    Args:
        graphs: the graphs (a list, or a dataset that makes each when asked for).
        batch_size: samples per batch.  shuffle: reshuffle every epoch, reproducibly from ``seed``.
        groups: batches of whole groups (:func:`pair_groups`): True reads them off ``graphs``;
            a list gives them; None: none.
        collate_fn: builds a batch from its graphs.
    """
    generator = torch.Generator().manual_seed(seed)
    if groups is True:
        groups = pair_groups(graphs)
    if groups:
        sampler = GroupBatchSampler(groups, batch_size, shuffle, generator)
        return DataLoader(graphs, batch_sampler=sampler, collate_fn=collate_fn)  # type: ignore[arg-type]
    return DataLoader(
        graphs,
        batch_size=batch_size,
        shuffle=shuffle,
        collate_fn=collate_fn,  # type: ignore[arg-type]
        generator=generator,
    )


def pair_groups(graphs: Sequence[Data]) -> list[list[int]] | None:
    """Each original with its counterfactuals (``counterfactual_of``), in data order; None when
    no sample names an original that is present."""
    return pairs_of([g.sample_id for g in graphs], [g.get("counterfactual_of") or "" for g in graphs])


def pairs_of(ids: Sequence[str], originals: Sequence[str]) -> list[list[int]] | None:
    """:func:`pair_groups` from each sample's id and the id it is a counterfactual of ("": none)."""
    position = {sample_id: i for i, sample_id in enumerate(ids)}
    members: dict[int, list[int]] = {}
    linked = False
    for i, of in enumerate(originals):
        original = position.get(of)
        if original is None or original == i:
            members.setdefault(i, []).insert(0, i)
        else:
            members.setdefault(original, []).append(i)
            linked = True
    return [members[k] for k in sorted(members)] if linked else None


class GroupBatchSampler(Sampler[list[int]]):
    """Batches of whole groups (an original and its counterfactuals stay together), filled
    up to ``batch_size`` samples (a larger group forms a batch of its own).

    Args:
        groups: indices of each group.
        batch_size: samples per batch, at most (unless one group is larger).
        shuffle: shuffle the groups every epoch with ``generator``.
        generator: the random source.
    """

    def __init__(
        self, groups: list[list[int]], batch_size: int, shuffle: bool, generator: torch.Generator
    ) -> None:
        self.groups, self.batch_size, self.shuffle, self.generator = groups, batch_size, shuffle, generator

    def _batches(self, generator: torch.Generator) -> list[list[int]]:
        order = (
            torch.randperm(len(self.groups), generator=generator).tolist()
            if self.shuffle
            else range(len(self.groups))
        )
        batches: list[list[int]] = [[]]
        for k in order:
            group = self.groups[k]
            if batches[-1] and len(batches[-1]) + len(group) > self.batch_size:
                batches.append([])
            batches[-1].extend(group)
        return [b for b in batches if b]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches(self.generator))

    def __len__(self) -> int:
        """The batches of the next epoch (computed on a copy of the generator's state)."""
        copy = torch.Generator()
        copy.set_state(self.generator.get_state())
        return len(self._batches(copy))
