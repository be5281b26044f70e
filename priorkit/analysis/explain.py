"""Per-sample explanations of predictions: fusion weights, the nodes the readout attends to
most, and each prior's measurements on the sample alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch_geometric.data import Data

from priorkit.analysis.predict import Predictions, measured_only, predict
from priorkit.model import PriorModel


@dataclass(frozen=True)
class NodeAttention:
    """Args: position: the node's index within its sample; depth: edges to the root;
    attention: its readout attention (the sample's nodes sum to 1)."""

    position: int
    depth: int
    attention: float


@dataclass(frozen=True)
class SampleExplanation:
    """Args:
    modality_weights: the fusion's ``{"text", "graph"}`` weights, or None for a fusion without.
    top_nodes: the ``top_k`` nodes with the most readout attention, most first.
    priors: each prior's ``measure`` on this sample alone (``label/metric``); measures that need
        labels or several samples are absent.
    """

    modality_weights: dict[str, float] | None
    top_nodes: list[NodeAttention]
    priors: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def explain(
    model: PriorModel, graphs: Sequence[Data], predictions: Predictions, top_k: int = 5
) -> list[SampleExplanation]:
    """One explanation per graph, from ``predictions`` of ``model`` over the same ``graphs``
    (each graph is run once more on its own to measure the priors per sample).

    Shapes:
        predictions.readout_attention, depth, batch: (n,) over the nodes of ``graphs``.
    """
    out = []
    for i, (graph, (start, count)) in enumerate(zip(graphs, predictions.node_ranges(), strict=True)):
        attention = predictions.readout_attention[start : start + count]
        order = torch.argsort(attention, descending=True, stable=True)[:top_k].tolist()
        depth = predictions.depth[start : start + count]
        out.append(
            SampleExplanation(
                modality_weights=predictions.shares(i),
                top_nodes=[NodeAttention(k, int(depth[k]), float(attention[k])) for k in order],
                priors=measured_only(
                    predict(model, [graph], batch_size=1, measure_priors=True).prior_measures
                ),
            )
        )
    return out
