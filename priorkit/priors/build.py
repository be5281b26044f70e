"""Typed prior configs from the entries of a config's ``priors:`` list, and priors from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from priorkit.config import registered_config
from priorkit.errors import ConfigError
from priorkit.priors.base import PRIORS, Prior, PriorConfig
from priorkit.priors.stack import PriorStack


def parse_prior(entry: PriorConfig | Mapping[str, Any], where: str = "priors") -> PriorConfig:
    """``{name: depth_decay, decay: 1.0}`` -> ``DepthDecayConfig(decay=1.0)`` (a typed config
    passes unchanged); unknown names and arguments list the valid ones.

    Raises:
        ConfigError: naming ``where``, the prior and the key.
    """
    try:
        return registered_config(PRIORS, entry, PriorConfig, where)
    except ValueError as error:
        raise ConfigError(str(error) if str(error).startswith(where) else f"{where}: {error}.") from None


def build_prior(entry: PriorConfig | Mapping[str, Any], where: str = "priors") -> Prior:
    """A prior from its config or its mapping (see :func:`parse_prior`)."""
    return parse_prior(entry, where).build()


def build_priors(entries: Sequence[PriorConfig | Mapping[str, Any]]) -> PriorStack:
    """The stack of priors of a ``priors:`` list, in its order."""
    return PriorStack(build_prior(entry, f"priors[{i}]") for i, entry in enumerate(entries))


__all__ = ["PRIORS", "build_prior", "build_priors", "parse_prior"]
