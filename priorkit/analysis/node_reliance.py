"""Node-group reliance by permutation: what the model does with the root, the leaves and each depth.

Modality reliance asks "text or graph?"; this asks "which nodes of the graph?". For each group
(``root``, ``leaves``, ``depth_1``, ``depth_2``, ``3+``) the content of its nodes (features,
users, node texts, times; never their place in the tree) is permuted across the evaluation
set, within a depth bucket, and the accuracy drop and the share of changed predictions are
measured. A model that follows "the root matters more than the leaves" barely moves when the
leaves are shuffled.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace

import torch
from torch import Tensor
from torch_geometric.data import Data

from priorkit.analysis.predict import Predictions
from priorkit.analysis.reliance import Shuffle, effect_shares, permutation_effects
from priorkit.data.batch import PriorBatch, graph_loader
from priorkit.data.recombine import permuted_rows, with_node_rows
from priorkit.functional.distributions import depth_bucket
from priorkit.functional.tree import NODE_GROUPS, node_group
from priorkit.model import PriorModel

DEPTH_GROUPS = tuple(group for group in NODE_GROUPS if group != "leaves")
"""Groups that partition the nodes; their shares sum to 1."""


def group_mask(graph: Data, group: str) -> Tensor:
    """Which nodes of ``graph`` belong to ``group`` (see :func:`~priorkit.functional.tree.node_group`).

    Shapes:
        -> (n,) bool.
    """
    return node_group(group, graph.depth, graph.parent_index)


@dataclass(frozen=True)
class NodeReliance:
    """Args:
    accuracy_drop, prediction_change: per group of :data:`NODE_GROUPS`, averaged over repeats.
    shares: the drops (the prediction changes when no drop) of the depth groups as shares
        summing to 1, plus ``leaves``: the leaves' part of what root and leaves decide
        together, ``drop(leaves) / (drop(leaves) + drop(root))`` (from the prediction
        changes when the drops are below :data:`MIN_EFFECT`; 0 when neither matters).
    repeats: shuffles per group.
    """

    accuracy_drop: dict[str, float]
    prediction_change: dict[str, float]
    shares: dict[str, float]
    repeats: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


MIN_EFFECT = 0.01
"""Root and leaves together must move accuracy (or, failing that, predictions) by this much
for the leaves' share to be a ratio of effects rather than of noise; below, it is 0."""


def _leaf_share(drop: dict[str, float], change: dict[str, float]) -> float:
    for values in (drop, change):
        pair = {k: max(values[k], 0.0) for k in ("leaves", "root")}
        if sum(pair.values()) >= MIN_EFFECT:
            return pair["leaves"] / sum(pair.values())
    return 0.0


def _shuffle(group: str, batches: Sequence[PriorBatch]) -> Shuffle:
    """Draws of ``batches`` (the evaluation set, collated once) whose ``group`` nodes swap their
    content across the whole set, within depth buckets."""
    masks = [group_mask(b.graph, group) for b in batches]
    buckets = [depth_bucket(b.graph.depth) for b in batches]

    def shuffled(generator: torch.Generator) -> Iterator[PriorBatch]:
        rows = permuted_rows([b.graph for b in batches], masks, generator, by=buckets)
        # one shuffled batch at a time: only the masked rows of the draw are held for all
        for batch, mask, content in zip(batches, masks, rows, strict=True):
            graph = with_node_rows(batch.graph, mask, content)
            # a batch's node text embeddings are its graph's (``collate``), so they move with it
            yield replace(batch, graph=graph, node_text_embedding=graph.get("node_text_embedding"))

    return shuffled


def node_reliance(
    model: PriorModel,
    graphs: Sequence[Data],
    repeats: int = 5,
    seed: int = 0,
    batch_size: int = 64,
    base: Predictions | None = None,
) -> NodeReliance:
    """Permutation reliance of ``model`` on each node group of ``graphs`` (labelled)."""
    batches = list(graph_loader(list(graphs), batch_size))
    shuffles = {group: _shuffle(group, batches) for group in NODE_GROUPS}
    drop, change = permutation_effects(model, graphs, shuffles, repeats, seed, batch_size, base)
    shares = effect_shares(drop, change, DEPTH_GROUPS, 0.0)
    return NodeReliance(drop, change, {**shares, "leaves": _leaf_share(drop, change)}, repeats)
