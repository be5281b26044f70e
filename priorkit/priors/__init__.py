"""Priors: the ``Prior`` contract and ``PriorStack``. Named priors are registered in ``PRIORS``."""

from priorkit.priors.base import Prior
from priorkit.priors.stack import PriorStack
from priorkit.registry import Registry

PRIORS: Registry[type[Prior]] = Registry("prior")

__all__ = ["PRIORS", "Prior", "PriorStack"]
