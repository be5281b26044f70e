"""``NodeInput``: the first representation of every node, from everything a node has."""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field
from torch import Tensor, nn
from torch_geometric.data import Batch

from priorkit.config import Settings


class NodeInputConfig(Settings):
    """Which node inputs to use.

    Args:
        max_depth: depths above it share the last depth embedding.
        users: ``hash`` (ids hashed into ``user_buckets`` buckets; works on any data) or
            ``vocab`` (one embedding per user seen in at least ``user_min_count`` training
            trees, one shared embedding for the rest; the vocabulary is saved with the run).
        user_buckets: size of the hashed user-id embedding (0: no user embedding).
        user_min_count: trees a user must appear in to get its own embedding (``vocab``).
        user_dim: width of a user embedding before its projection to the node width.
        use_time: add an encoding of ``time`` (signed log minutes, masked where unknown).
    """

    max_depth: int = Field(8, ge=1)
    users: Literal["hash", "vocab"] = "hash"
    user_buckets: int = Field(0, ge=0)
    user_min_count: int = Field(2, ge=1)
    user_dim: int = Field(16, ge=1)
    use_time: bool = True


class NodeInput(nn.Module):
    """Sum of a projection of the numeric features (sparse-aware), of node text embeddings
    where present, a time encoding, a depth embedding and an optional user embedding
    (hashed ids, or a training vocabulary); then layer norm.

    Args:
        num_features: width of ``x`` (0: none).
        text_dim: width of node text embeddings (0: no node text).
        hidden: output width d.
        config: the options.
        num_users: size of the user vocabulary (``users: vocab``; 0: no user embedding).

    Shapes:
        graph.x: (n, f) dense or sparse COO; node_text_embedding: (n, t);
        graph.user_code: (n,) int64, 0 for unknown users; -> (n, d).
    """

    def __init__(
        self,
        num_features: int,
        text_dim: int,
        hidden: int,
        config: NodeInputConfig | None = None,
        num_users: int = 0,
    ):
        super().__init__()
        self.config = config or NodeInputConfig()
        self.features = nn.Linear(num_features, hidden) if num_features else None
        self.text = nn.Linear(text_dim, hidden) if text_dim else None
        self.time = nn.Linear(2, hidden) if self.config.use_time else None
        self.depth = nn.Embedding(self.config.max_depth + 1, hidden)
        self.user_slots = slots = num_users if self.config.users == "vocab" else self.config.user_buckets
        self.user = (
            nn.Sequential(
                nn.Embedding(slots + 1, self.config.user_dim, padding_idx=0),
                nn.Linear(self.config.user_dim, hidden),
            )
            if slots
            else None
        )
        if self.user is not None:  # users start near neutral; what one means is learned
            nn.init.normal_(self.user[0].weight, std=0.05)
            self.user[0].weight.data[0] = 0.0
        self.norm = nn.LayerNorm(hidden)

    def forward(self, graph: Batch, node_text_embedding: Tensor | None = None) -> Tensor:
        out = self.depth(graph.depth.clamp(max=self.config.max_depth))
        if self.features is not None:
            x = graph.x
            if x.is_sparse:
                out = out + torch.sparse.mm(x, self.features.weight.t()) + self.features.bias
            else:
                out = out + self.features(x)
        if self.text is not None and node_text_embedding is not None:
            out = out + self.text(node_text_embedding)
        if self.time is not None:
            time = graph.time
            scaled = torch.sign(time) * torch.log1p(time.abs()) / math.log1p(60 * 24 * 7)
            out = out + self.time(torch.stack([scaled, graph.time_mask.float()], dim=-1))
        if self.user is not None:
            out = out + self.user(self.user_slot(graph.user_code))
        return self.norm(out)

    def user_slot(self, code: Tensor) -> Tensor:
        """Embedding row of each node's user: 0 for unknown, else the vocabulary index or bucket."""
        if self.config.users == "vocab":
            return code
        return torch.where(code > 0, code % self.config.user_buckets + 1, 0)
