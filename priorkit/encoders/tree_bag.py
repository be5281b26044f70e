"""``TreeBag``: what a whole tree holds, pooled without message passing (a bag of its words and users).

Message passing and attention pooling squeeze a tree into a few attended nodes; a word or user
that recurs thinly across many replies gets lost on the way. A bag keeps it: the tree's node
features summed (a bag of words when the features are word counts), sublinear-scaled and
L2-normalised as in a TF-IDF document vector, and the mean of its users' own embeddings. The
bag's projection is added to the tree's graph vector, so it stays the graph modality for the
fusion, the priors and the reliance measures.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn
from torch_geometric.utils import scatter

from priorkit.config import Settings


class TreeBagConfig(Settings):
    """The ``model.tree.bag:`` section (off by default).

    Args:
        features: add the tree's summed node features (signed log1p of each column's sum,
            L2-normalised per tree) through a linear map.
        users: add the mean over the tree's nodes of a user embedding of the bag's own (the
            node input's ``users`` numbering; nodes without a known user are left out).
        dropout: on the bag's input columns while training.
    """

    features: bool = False
    users: bool = False
    dropout: float = Field(0.1, ge=0.0, lt=1.0)

    @property
    def enabled(self) -> bool:
        return self.features or self.users


class TreeBag(nn.Module):
    """Tree-level bag of node features and users, projected to the graph width.

    Args:
        num_features: width of the node features (0: no feature bag).
        hidden: output width d.
        config: which bags.
        user_slots: rows of the user table (the node input's slots; 0: no user bag).

    Shapes:
        x: (n, f) dense or sparse COO; user_slot: (n,) int64, 0 for unknown; batch: (n,)
        -> (b, d).
    """

    def __init__(self, num_features: int, hidden: int, config: TreeBagConfig, user_slots: int = 0) -> None:
        super().__init__()
        self.config = config
        self.features = nn.Linear(num_features, hidden) if config.features and num_features else None
        self.users = (
            nn.Embedding(user_slots + 1, hidden, padding_idx=0) if config.users and user_slots else None
        )
        if self.users is not None:  # a user starts neutral; what one means is learned
            nn.init.normal_(self.users.weight, std=0.05)
            self.users.weight.data[0] = 0.0

    def forward(
        self, x: Tensor | None, user_slot: Tensor | None, batch: Tensor, num_graphs: int
    ) -> Tensor | None:
        out: Tensor | None = None
        if self.features is not None and x is not None:
            out = self.feature_bag(x, batch, num_graphs)
        if self.users is not None and user_slot is not None:
            known = (user_slot > 0).float().unsqueeze(-1)
            vectors = F.dropout(self.users(user_slot), self.config.dropout, self.training) * known
            total = scatter(vectors, batch, dim=0, dim_size=num_graphs, reduce="sum")
            count = scatter(known, batch, dim=0, dim_size=num_graphs, reduce="sum").clamp(min=1.0)
            out = total / count if out is None else out + total / count
        return out

    def feature_bag(self, x: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        """Shapes: x: (n, f) -> (b, d)."""
        assert self.features is not None
        if x.is_sparse:
            x = x.coalesce()
            row, col = x.indices()
            sums = torch.sparse_coo_tensor(
                torch.stack([batch[row], col]), x.values(), (num_graphs, x.size(1))
            ).coalesce()
            values = sublinear(sums.values())
            norm = scatter(
                values.square(), sums.indices()[0], dim=0, dim_size=num_graphs, reduce="sum"
            ).sqrt()
            values = values / norm.clamp(min=1e-12)[sums.indices()[0]]
            values = F.dropout(values, self.config.dropout, self.training)
            bag = torch.sparse_coo_tensor(sums.indices(), values, sums.shape)
            return torch.sparse.mm(bag, self.features.weight.t()) + self.features.bias
        sums = sublinear(scatter(x, batch, dim=0, dim_size=num_graphs, reduce="sum"))
        bag = F.dropout(F.normalize(sums, dim=-1), self.config.dropout, self.training)
        return self.features(bag)


def sublinear(values: Tensor) -> Tensor:
    """Signed log1p: a count's weight grows with its logarithm (sublinear term frequency)."""
    return torch.sign(values) * torch.log1p(values.abs())
