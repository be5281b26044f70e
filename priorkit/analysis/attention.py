"""Where the readout attention goes: mass by depth and on the root."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter

DEPTH_BUCKETS = ("0", "1", "2", "3+")


def attention_by_depth(attention: Tensor, depth: Tensor, batch: Tensor) -> dict[str, float]:
    """Mean over graphs of the readout attention mass at depth 0, 1, 2 and 3 or more.

    Shapes:
        attention, depth, batch: (n,), attention summing to 1 per graph.
    """
    bucket = depth.clamp(max=len(DEPTH_BUCKETS) - 1)
    num_graphs = int(batch.max()) + 1 if batch.numel() else 0
    mass = torch.zeros(num_graphs, len(DEPTH_BUCKETS), dtype=attention.dtype)
    mass.index_put_((batch, bucket), attention, accumulate=True)
    return {name: float(mass[:, k].mean()) for k, name in enumerate(DEPTH_BUCKETS)}


def root_attention(attention: Tensor, root_index: Tensor) -> float:
    """Mean over graphs of the attention on the root.

    Shapes:
        attention: (n,); root_index: (b,).
    """
    return float(attention[root_index].mean())


def attention_per_graph(attention: Tensor, batch: Tensor) -> Tensor:
    """Total attention of each graph (1 up to rounding), for checks.

    Shapes:
        -> (b,).
    """
    return scatter(attention, batch, dim=0, reduce="sum")
