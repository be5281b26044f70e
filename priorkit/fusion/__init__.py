"""How the text vector and the graph vector become one (``concat``, ``gated``, ``cross_attention``)."""

from priorkit.fusion.base import FUSIONS, MODALITIES, Fusion, FusionConfig, FusionOutput
from priorkit.fusion.concat import ConcatConfig, ConcatFusion
from priorkit.fusion.cross_attention import CrossAttentionConfig, CrossAttentionFusion
from priorkit.fusion.gated import GatedConfig, GatedFusion, ModalityGate

__all__ = [
    "FUSIONS",
    "MODALITIES",
    "ConcatConfig",
    "ConcatFusion",
    "CrossAttentionConfig",
    "CrossAttentionFusion",
    "Fusion",
    "FusionConfig",
    "FusionOutput",
    "GatedConfig",
    "GatedFusion",
    "ModalityGate",
]
