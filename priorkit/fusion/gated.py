"""``GatedFusion``: a softmax gate over layer-normalised modality projections."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from priorkit.fusion.base import FUSIONS, Fusion, FusionConfig, FusionOutput, normalised_projection
from priorkit.sites import BiasFn, SiteContext, add_bias, no_bias


class ModalityGate(nn.Module):
    """Gate logits over (text, graph) from both projections, plus the ``fusion`` site bias.

    Shapes:
        text, graph: (b, d) -> weights (b, 2), rows sum to 1.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.logits = nn.Linear(2 * hidden, 2)

    def forward(self, text: Tensor, graph: Tensor, ctx: SiteContext | None, bias_fn: BiasFn) -> Tensor:
        logits = self.logits(torch.cat([text, graph], dim=-1))
        if ctx is not None:
            logits = add_bias(logits, "fusion", ctx, bias_fn)
        return torch.softmax(logits, dim=-1)

    def mix(self, text: Tensor, graph: Tensor, ctx: SiteContext | None, bias_fn: BiasFn) -> FusionOutput:
        """The gated sum of the two projections, with the gate weights."""
        weights = self(text, graph, ctx, bias_fn)
        return FusionOutput(weights[:, :1] * text + weights[:, 1:] * graph, weights)


class GatedConfig(FusionConfig):
    """No arguments besides the name."""

    name: Literal["gated"] = "gated"


@FUSIONS.register("gated")
class GatedFusion(Fusion):
    """``w_text * LN(P_t text) + w_graph * LN(P_g graph)``: both modalities are projected to
    the same width and layer-normalised, so the gate weights compare like with like.

    Shapes:
        text: (b, t); graph: (b, g) -> fused (b, d), modality_weights (b, 2).
    """

    Config = GatedConfig

    def __init__(
        self, text_dim: int, graph_dim: int, hidden: int, config: FusionConfig | None = None
    ) -> None:
        super().__init__(text_dim, graph_dim, hidden, config)
        self.text = normalised_projection(text_dim, hidden)
        self.graph = normalised_projection(graph_dim, hidden)
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
        return self.gate.mix(self.text(text), self.graph(graph), ctx, bias_fn)
