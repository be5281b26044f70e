"""Building a :class:`PriorStack` from the ``priors:`` list of a config."""

from __future__ import annotations

from typing import Any

from priorkit.priors.base import Prior
from priorkit.priors.stack import PriorStack
from priorkit.registry import Registry

PRIORS: Registry[type[Prior]] = Registry("prior", group="priorkit.priors")


def build_prior(entry: dict[str, Any], where: str = "priors") -> Prior:
    """``{name: depth_decay, decay: 1.0}`` -> a prior; unknown names and arguments list the valid ones."""
    cls = PRIORS.get(entry["name"])
    return cls.from_arguments(entry, where=f"{where} ({cls.name}): ")


def build_priors(entries: list[dict[str, Any]]) -> PriorStack:
    """``[{name: depth_decay, decay: 1.0}, ...]`` -> a stack."""
    return PriorStack(build_prior(entry, f"priors[{i}]") for i, entry in enumerate(entries))
