"""``CrossAttentionFusion``: the text attends over the nodes of its tree, then a modality gate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from torch import Tensor, nn
from torch_geometric.utils import scatter, softmax

from priorkit.errors import ConfigError
from priorkit.fusion.base import FUSIONS, Fusion, FusionConfig, FusionOutput, normalised_projection
from priorkit.fusion.gated import ModalityGate
from priorkit.sites import BiasFn, SiteContext, no_bias


class CrossAttentionConfig(FusionConfig):
    """Args: heads: attention heads (a divisor of the model's ``hidden`` width)."""

    name: Literal["cross_attention"] = "cross_attention"
    heads: int = Field(4, ge=1)


@FUSIONS.register("cross_attention")
class CrossAttentionFusion(Fusion):
    """Multi-head attention with the projected text as the query and the node states of the
    same sample as keys and values (a segment softmax per graph, linear in nodes); the
    attended graph vector and the text are then mixed by a :class:`ModalityGate`.

    Args:
        config: :class:`CrossAttentionConfig` (``heads``, a divisor of ``hidden``).

    Shapes:
        text: (b, t); nodes: (n, g); batch: (n,) -> fused (b, d), modality_weights (b, 2).
    """

    Config = CrossAttentionConfig

    def __init__(
        self, text_dim: int, graph_dim: int, hidden: int, config: CrossAttentionConfig | None = None
    ) -> None:
        super().__init__(text_dim, graph_dim, hidden, config)
        heads = self.config.heads  # type: ignore[attr-defined]
        if hidden % heads:
            raise ConfigError(f"heads: expected a divisor of the hidden width {hidden} (got {heads}).")
        self.heads, self.head_dim = heads, hidden // heads
        self.query = normalised_projection(text_dim, hidden)
        self.key = nn.Linear(graph_dim, hidden)
        self.value = nn.Linear(graph_dim, hidden)
        self.out = normalised_projection(hidden, hidden)
        self.gate = ModalityGate(hidden)

    def forward(
        self,
        text: Tensor,
        graph: Tensor,
        nodes: Tensor,
        batch: Tensor,
        ctx: SiteContext | None = None,
        bias_fn: BiasFn = no_bias,
    ) -> FusionOutput:
        b = text.size(0)
        q = self.query(text)
        k = self.key(nodes).view(-1, self.heads, self.head_dim)
        v = self.value(nodes).view(-1, self.heads, self.head_dim)
        scores = (q.view(b, self.heads, self.head_dim)[batch] * k).sum(-1) / self.head_dim**0.5
        attention = softmax(scores, batch, num_nodes=b)
        attended = scatter(v * attention.unsqueeze(-1), batch, dim=0, dim_size=b, reduce="sum")
        g = self.out(attended.reshape(b, -1))
        return self.gate.mix(q, g, ctx, bias_fn)
