"""Priors: the ``Prior`` contract, ``PriorStack``, and the ``PRIORS`` registry of named priors.

Each built-in prior lives in its own file and registers itself by name when imported here.
"""

from priorkit.priors.base import PRIORS, ModelDims, Prior, PriorConfig
from priorkit.priors.build import build_prior, build_priors, parse_prior
from priorkit.priors.check import Check
from priorkit.priors.counterfactual import CounterfactualConfig, CounterfactualPrior
from priorkit.priors.depth_decay import DepthDecayConfig, DepthDecayPrior
from priorkit.priors.gradient_penalty import GradientPenaltyConfig, GradientPenaltyPrior
from priorkit.priors.group_invariance import GroupInvarianceConfig, GroupInvariancePrior
from priorkit.priors.label_shift import LabelShiftConfig, LabelShiftPrior
from priorkit.priors.modality_dropout import ModalityDropoutConfig, ModalityDropoutPrior
from priorkit.priors.modality_gate import ModalityGateConfig, ModalityGatePrior
from priorkit.priors.root_enhance import RootEnhanceConfig, RootEnhancePrior
from priorkit.priors.stack import PriorStack
from priorkit.priors.supervised_attention import SupervisedAttentionConfig, SupervisedAttentionPrior
from priorkit.priors.text_neighbours import TextNeighboursConfig, TextNeighboursPrior

__all__ = [
    "PRIORS",
    "Check",
    "CounterfactualConfig",
    "CounterfactualPrior",
    "DepthDecayConfig",
    "DepthDecayPrior",
    "GradientPenaltyConfig",
    "GradientPenaltyPrior",
    "GroupInvarianceConfig",
    "GroupInvariancePrior",
    "LabelShiftConfig",
    "LabelShiftPrior",
    "ModalityDropoutConfig",
    "ModalityDropoutPrior",
    "ModalityGateConfig",
    "ModalityGatePrior",
    "ModelDims",
    "Prior",
    "PriorConfig",
    "PriorStack",
    "RootEnhanceConfig",
    "RootEnhancePrior",
    "SupervisedAttentionConfig",
    "SupervisedAttentionPrior",
    "TextNeighboursConfig",
    "TextNeighboursPrior",
    "build_prior",
    "build_priors",
    "parse_prior",
]
