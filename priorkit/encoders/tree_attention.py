"""``TreeAttentionConv``: attention message passing along tree edges, in both directions.

Each parent -> child edge carries two messages: down (parent to child) and up (child to
parent). Attention logits are GAT-style, with attention vectors of their own per direction,
plus an additive bias per directed edge (the ``message`` site); the softmax runs over the
messages that arrive at a node. A second, optional term (the ``message_scale`` site) scales
each message after the softmax by ``exp(scale)``, ``scale <= 0``: a softmax bias can only move
weight between the messages a node receives (a root whose messages all come from its
children still receives all of them), a scale can attenuate or cut them. Cost is linear in
the number of edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import softmax

from priorkit.errors import ConfigError


@dataclass(frozen=True)
class MessageEdges:
    """The directed message edges of a forest: all down edges, then all up edges.

    Shapes:
        index: (2, m) source, target with m = 2e; direction: (m,) 0 down, 1 up;
        source_slot, target_slot: (m,) ``2 * node + direction``, computed once for every layer.
    """

    index: Tensor
    direction: Tensor
    source_slot: Tensor = field(init=False, repr=False)
    target_slot: Tensor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_slot", self.index[0] * 2 + self.direction)
        object.__setattr__(self, "target_slot", self.index[1] * 2 + self.direction)

    @classmethod
    def from_tree_edges(cls, edge_index: Tensor) -> MessageEdges:
        e = edge_index.size(1)
        index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
        direction = torch.cat(
            [
                torch.zeros(e, dtype=torch.long, device=edge_index.device),
                torch.ones(e, dtype=torch.long, device=edge_index.device),
            ]
        )
        return cls(index, direction)


@dataclass(frozen=True)
class TreeAttentionOutput:
    """Shapes: x: (n, d); attention: (m, h) weights of the messages (sum to 1 per target and head)."""

    x: Tensor
    attention: Tensor


class TreeAttentionConv(MessagePassing):
    """Bidirectional multi-head attention over tree edges with an additive logit bias.

    Args:
        channels: input and output width d (a multiple of ``heads``).
        heads: attention heads h.
        dropout: dropout on attention weights while training.
        negative_slope: of the LeakyReLU on attention logits.

    Shapes:
        x: (n, d); edges: :class:`MessageEdges` with m directed edges; bias, scale: (m,) or
        (m, h) -> :class:`TreeAttentionOutput`.
    """

    def __init__(self, channels: int, heads: int = 4, dropout: float = 0.0, negative_slope: float = 0.2):
        super().__init__(aggr="add", node_dim=0)
        if channels % heads:
            raise ConfigError(f"heads: expected a divisor of the hidden width {channels} (got {heads}).")
        self.heads, self.head_dim = heads, channels // heads
        self.dropout, self.negative_slope = dropout, negative_slope
        # no self term: the encoder around the layer keeps each node's state by a residual
        self.lin = nn.Linear(channels, channels, bias=False)
        self.bias = nn.Parameter(torch.zeros(channels))
        self.att_src = nn.Parameter(torch.empty(2, heads, self.head_dim))
        self.att_dst = nn.Parameter(torch.empty(2, heads, self.head_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.lin.reset_parameters()
        nn.init.zeros_(self.bias)
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)

    def forward(
        self, x: Tensor, edges: MessageEdges, bias: Tensor | None = None, scale: Tensor | None = None
    ) -> TreeAttentionOutput:
        n = x.size(0)
        projected = self.lin(x)
        h = projected.reshape(n, self.heads, self.head_dim)
        # one small matmul scores every node as source and as target, for both directions;
        # each side is flattened to (2n, heads) slots so that one gather per side suffices
        scores = (projected @ self._score_matrix()).view(n, 2, 2, self.heads)
        score_src = scores[:, 0].reshape(2 * n, self.heads)
        score_dst = scores[:, 1].reshape(2 * n, self.heads)
        logits = score_src.index_select(0, edges.source_slot) + score_dst.index_select(0, edges.target_slot)
        logits = F.leaky_relu(logits, self.negative_slope)
        if bias is not None:
            logits = logits + (bias.unsqueeze(-1) if bias.dim() == 1 else bias)
        attention = softmax(logits, edges.index[1], num_nodes=n)
        weights = F.dropout(attention, p=self.dropout) if self.training and self.dropout > 0 else attention
        if scale is not None:
            weights = weights * torch.exp((scale.unsqueeze(-1) if scale.dim() == 1 else scale).clamp(max=0.0))
        out = self.propagate(edges.index, x=h, weight=weights, size=(n, n))
        return TreeAttentionOutput(out.reshape(n, -1) + self.bias, attention)

    def _score_matrix(self) -> Tensor:
        """(d, 2 * 2 * heads) block-diagonal matrix: column (side, direction, head) holds that
        head's attention vector in that head's rows."""
        att = torch.stack([self.att_src, self.att_dst])  # (side, direction, head, channel)
        eye = torch.eye(self.heads, device=att.device, dtype=att.dtype)
        return torch.einsum("sdkc,kl->kcsdl", att, eye).reshape(self.heads * self.head_dim, -1)

    def message(self, x_j: Tensor, weight: Tensor) -> Tensor:
        return x_j * weight.unsqueeze(-1)
