"""Building a :class:`PriorStack` from the ``priors:`` list of a config."""

from __future__ import annotations

from typing import Any

from priorkit.priors.base import Prior
from priorkit.priors.stack import PriorStack
from priorkit.registry import Registry

PRIORS: Registry[type[Prior]] = Registry("prior")


def build_priors(entries: list[dict[str, Any]]) -> PriorStack:
    """``[{name: depth_decay, decay: 1.0}, ...]`` -> a stack; unknown names list the valid ones."""
    priors = []
    for entry in entries:
        arguments = {k: v for k, v in entry.items() if k != "name"}
        priors.append(PRIORS.get(entry["name"])(**arguments))
    return PriorStack(priors)
