"""Where the readout attention goes: mass by depth and on the root."""

from __future__ import annotations

from torch import Tensor
from torch_geometric.utils import scatter

from priorkit.functional.distributions import DEPTH_BUCKETS, mass_by_depth


def attention_by_depth(attention: Tensor, depth: Tensor, batch: Tensor) -> dict[str, float]:
    """Mean over graphs of the readout attention mass at depth 0, 1, 2 and 3 or more.

    Shapes:
        attention, depth, batch: (n,), attention summing to 1 per graph.
    """
    num_graphs = int(batch.max()) + 1 if batch.numel() else 0
    mass = mass_by_depth(attention, depth, batch, num_graphs)
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
