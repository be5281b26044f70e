"""The fusion contract and registry: two modality vectors in, one fused vector out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import Tensor, nn

from priorkit.config import Settings
from priorkit.errors import ConfigError
from priorkit.registry import Registry
from priorkit.sites import BiasFn, SiteContext, no_bias

MODALITIES = ("text", "graph")


def modality_values(value: dict[str, float], what: str, low: float, high: float) -> dict[str, float]:
    """Validate a ``{modality: number}`` mapping (config values); raises ``ValueError``."""
    unknown = sorted(set(value) - set(MODALITIES))
    if unknown or not value:
        raise ValueError(f"expected {what} for {' and/or '.join(MODALITIES)} (got keys {sorted(value)})")
    if any(not low <= v <= high for v in value.values()):
        raise ValueError(f"expected {what} in [{low:g}, {high:g}]")
    return {m: float(value[m]) for m in MODALITIES if m in value}


@dataclass(frozen=True)
class FusionOutput:
    """Shapes: fused: (b, d); modality_weights: (b, 2) over (text, graph), rows sum to 1, or
    None for a fusion that has no such weights."""

    fused: Tensor
    modality_weights: Tensor | None


class FusionConfig(Settings):
    """The arguments of a fusion; a config's ``model.fusion`` is a name or ``{name:
    cross_attention, heads: 8}``, validated against the fusion's ``Config``, which names its
    fusion (``name: Literal["gated"] = "gated"``).

    Args:
        name: the registered name of the fusion.
    """

    name: str = ""

    def build(self, text_dim: int, graph_dim: int, hidden: int) -> Fusion:
        """The fusion these arguments configure, for modality vectors of the given widths."""
        if not self.name:
            raise ConfigError(
                f"{type(self).__name__}: expected the name of its fusion (got none). Give the class "
                "a field name: Literal['my_fusion'] = 'my_fusion'."
            )
        return FUSIONS.get(self.name)(text_dim, graph_dim, hidden, self)


class Fusion(nn.Module):
    """Base class of fusions. A new fusion subclasses it, declares its ``Config`` (a
    :class:`FusionConfig` with its own arguments) and registers with ``@FUSIONS.register(name)``.

    Args:
        text_dim: width of the text vector; graph_dim: width of the graph vector and node states;
        hidden: output width d; config: the fusion's arguments (defaults when None).

    Shapes:
        text: (b, t); graph: (b, g); nodes: (n, g); batch: (n,) -> FusionOutput.
    """

    Config: ClassVar[type[FusionConfig]] = FusionConfig

    def __init__(
        self, text_dim: int, graph_dim: int, hidden: int, config: FusionConfig | None = None
    ) -> None:
        super().__init__()
        self.text_dim, self.graph_dim, self.hidden = text_dim, graph_dim, hidden
        self.config = config if config is not None else self.Config()

    def forward(
        self,
        text: Tensor,
        graph: Tensor,
        nodes: Tensor,
        batch: Tensor,
        ctx: SiteContext | None = None,
        bias_fn: BiasFn = no_bias,
    ) -> FusionOutput:
        raise NotImplementedError


FUSIONS: Registry[type[Fusion]] = Registry("fusion", group="priorkit.fusions")


def normalised_projection(in_dim: int, hidden: int) -> nn.Sequential:
    """``LayerNorm(Linear(x))``: brings a modality to the fused width on a comparable scale."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.LayerNorm(hidden))
