"""``ConcatFusion``: concatenate the two modality vectors and project."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from priorkit.fusion.base import FUSIONS, Fusion, FusionConfig, FusionOutput
from priorkit.sites import BiasFn, SiteContext, no_bias


class ConcatConfig(FusionConfig):
    """No arguments besides the name."""

    name: Literal["concat"] = "concat"


@FUSIONS.register("concat")
class ConcatFusion(Fusion):
    """``Linear([text; graph])``; reports no modality weights (it has none).

    Shapes:
        text: (b, t); graph: (b, g) -> fused (b, d).
    """

    Config = ConcatConfig

    def __init__(
        self, text_dim: int, graph_dim: int, hidden: int, config: FusionConfig | None = None
    ) -> None:
        super().__init__(text_dim, graph_dim, hidden, config)
        self.project = nn.Sequential(nn.Linear(text_dim + graph_dim, hidden), nn.GELU())

    def forward(
        self,
        text: Tensor,
        graph: Tensor,
        nodes: Tensor,
        batch: Tensor,
        ctx: SiteContext | None = None,
        bias_fn: BiasFn = no_bias,
    ) -> FusionOutput:
        return FusionOutput(self.project(torch.cat([text, graph], dim=-1)), None)
