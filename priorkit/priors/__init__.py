"""Priors: the ``Prior`` contract, ``PriorStack``, and the ``PRIORS`` registry of named priors."""

from priorkit.priors.base import Prior
from priorkit.priors.build import PRIORS, build_priors
from priorkit.priors.stack import PriorStack

__all__ = ["PRIORS", "Prior", "PriorStack", "build_priors"]
