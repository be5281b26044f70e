"""``NodeInput``: the first representation of every node, from everything a node has."""

from __future__ import annotations

import math

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor, nn
from torch_geometric.data import Batch


class NodeInputConfig(BaseModel):
    """Which node inputs to use.

    Args:
        max_depth: depths above it share the last depth embedding.
        user_buckets: size of the hashed user-id embedding (0: no user embedding).
        user_dim: width of a user embedding before its projection to the node width.
        use_time: add an encoding of ``time`` (signed log minutes, masked where unknown).
    """

    model_config = ConfigDict(extra="forbid")

    max_depth: int = Field(8, ge=1)
    user_buckets: int = Field(0, ge=0)
    user_dim: int = Field(16, ge=1)
    use_time: bool = True


class NodeInput(nn.Module):
    """Sum of a projection of the numeric features (sparse-aware), of node text embeddings
    where present, a time encoding, a depth embedding and an optional hashed user
    embedding; then layer norm.

    Args:
        num_features: width of ``x`` (0: none).
        text_dim: width of node text embeddings (0: no node text).
        hidden: output width d.
        config: the options.

    Shapes:
        graph.x: (n, f) dense or sparse COO; node_text_embedding: (n, t); -> (n, d).
    """

    def __init__(self, num_features: int, text_dim: int, hidden: int, config: NodeInputConfig | None = None):
        super().__init__()
        self.config = config or NodeInputConfig()
        self.features = nn.Linear(num_features, hidden) if num_features else None
        self.text = nn.Linear(text_dim, hidden) if text_dim else None
        self.time = nn.Linear(2, hidden) if self.config.use_time else None
        self.depth = nn.Embedding(self.config.max_depth + 1, hidden)
        buckets = self.config.user_buckets
        self.user = (
            nn.Sequential(
                nn.Embedding(buckets + 1, self.config.user_dim, padding_idx=0),
                nn.Linear(self.config.user_dim, hidden),
            )
            if buckets
            else None
        )
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
            known = graph.user_hash > 0
            bucket = torch.where(known, graph.user_hash % self.config.user_buckets + 1, 0)
            out = out + self.user(bucket)
        return self.norm(out)
