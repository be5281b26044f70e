"""Summary statistics of a dataset: counts, labels, tree sizes and depths."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from priorkit.data.sources import DataSource, as_dataset


@dataclass(frozen=True)
class Distribution:
    """min / median / mean / max of a per-sample quantity."""

    min: float
    median: float
    mean: float
    max: float

    @classmethod
    def of(cls, values: list[int]) -> Distribution:
        array = np.asarray(values if values else [0], dtype=np.float64)
        return cls(float(array.min()), float(np.median(array)), float(array.mean()), float(array.max()))

    def __str__(self) -> str:
        return f"min {self.min:g} / median {self.median:g} / mean {self.mean:.1f} / max {self.max:g}"


@dataclass(frozen=True)
class DatasetStats:
    """What ``priorkit data stats`` prints.

    Args:
        samples, nodes: counts.
        labels, groups: samples per label / group.
        nodes_per_tree, depth_per_tree: distributions over samples (depth = deepest node).
        nodes_by_depth: nodes at each depth over the whole dataset.
        num_features: node feature width; sparse: whether features are a sparse bag of words.
        with_node_text, with_time, with_importance: samples that have these node fields.
    """

    samples: int
    nodes: int
    labels: dict[str, int]
    groups: dict[str, int]
    nodes_per_tree: Distribution
    depth_per_tree: Distribution
    nodes_by_depth: dict[int, int]
    num_features: int
    sparse: bool
    with_node_text: int
    with_time: int
    with_importance: int

    def lines(self) -> list[str]:
        out = [
            f"samples: {self.samples}",
            f"nodes: {self.nodes}",
            "labels: " + ", ".join(f"{k} {v}" for k, v in self.labels.items()),
        ]
        if self.groups:
            out.append("groups: " + ", ".join(f"{k} {v}" for k, v in self.groups.items()))
        out += [
            f"nodes per tree: {self.nodes_per_tree}",
            f"depth per tree: {self.depth_per_tree}",
            "nodes by depth: " + ", ".join(f"{d}: {n}" for d, n in self.nodes_by_depth.items()),
            f"node features: {self.num_features}{' (sparse)' if self.sparse else ''}",
            f"samples with node text: {self.with_node_text}, with time: {self.with_time}, "
            f"with importance: {self.with_importance}",
        ]
        return out


def dataset_stats(dataset: DataSource) -> DatasetStats:
    """Compute :class:`DatasetStats` of a dataset (or a JSONL path, a list of samples or records)."""
    dataset = as_dataset(dataset, "dataset")
    sizes = [s.num_nodes for s in dataset]
    depths = [s.depth for s in dataset]
    counts = np.bincount(np.concatenate(depths)) if depths else np.zeros(0, dtype=np.int64)
    first = dataset[0] if len(dataset) else None
    return DatasetStats(
        samples=len(dataset),
        nodes=sum(sizes),
        labels=dict(sorted(Counter(str(x) for x in dataset.labels).items())),
        groups=dict(sorted(Counter(g for g in dataset.groups if g is not None).items())),
        nodes_per_tree=Distribution.of(sizes),
        depth_per_tree=Distribution.of([int(d.max()) for d in depths]),
        nodes_by_depth={d: int(c) for d, c in enumerate(counts) if c},
        num_features=dataset.num_features,
        sparse=first is not None
        and first.features is not None
        and not isinstance(first.features, np.ndarray),
        with_node_text=sum(s.node_text is not None for s in dataset),
        with_time=sum(s.time is not None for s in dataset),
        with_importance=sum(s.importance is not None for s in dataset),
    )
