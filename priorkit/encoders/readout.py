"""``AttentionReadout``: one vector per graph, an attention-weighted sum of its nodes."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn
from torch_geometric.utils import scatter, softmax


@dataclass(frozen=True)
class ReadoutOutput:
    """Shapes: graph: (b, d); attention: (n, h), sums to 1 over each graph's nodes per head."""

    graph: Tensor
    attention: Tensor


class AttentionReadout(nn.Module):
    """Multi-head attention pooling with an additive logit bias (the ``readout`` site).

    Args:
        channels: node width d (a multiple of ``heads``).
        heads: attention heads h; head k pools its own slice of the channels.

    Shapes:
        x: (n, d); batch: (n,); bias: (n,) or (n, h) -> :class:`ReadoutOutput`.
    """

    def __init__(self, channels: int, heads: int = 4) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, channels // heads
        self.score = nn.Sequential(nn.Linear(channels, channels), nn.Tanh(), nn.Linear(channels, heads))

    def forward(self, x: Tensor, batch: Tensor, num_graphs: int, bias: Tensor | None = None) -> ReadoutOutput:
        logits = self.score(x)
        if bias is not None:
            logits = logits + (bias.unsqueeze(-1) if bias.dim() == 1 else bias)
        attention = softmax(logits, batch, num_nodes=num_graphs)
        weighted = x.view(-1, self.heads, self.head_dim) * attention.unsqueeze(-1)
        graph = scatter(weighted, batch, dim=0, dim_size=num_graphs, reduce="sum")
        return ReadoutOutput(graph.reshape(num_graphs, -1), attention)


def mean_over_heads(attention: Tensor) -> Tensor:
    """(n, h) -> (n,): the readout attention a user reads, still summing to 1 per graph."""
    return attention.mean(dim=-1)
