"""How the text vector and the graph vector become one (``concat``, ``gated``, ``cross_attention``)."""

from priorkit.fusion.base import FUSIONS, MODALITIES, Fusion, FusionOutput
from priorkit.fusion.concat import ConcatFusion
from priorkit.fusion.cross_attention import CrossAttentionFusion
from priorkit.fusion.gated import GatedFusion, ModalityGate

__all__ = [
    "FUSIONS",
    "MODALITIES",
    "ConcatFusion",
    "CrossAttentionFusion",
    "Fusion",
    "FusionOutput",
    "GatedFusion",
    "ModalityGate",
]
