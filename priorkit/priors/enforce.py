"""Enforcement: the rule a prior states becomes a constraint of training.

A prior whose rules (its :meth:`~priorkit.priors.base.Prior.checks`) can be estimated on a
training batch returns those estimates from ``estimates(outputs, batch)``. Each rule owns a
multiplier ``m >= 0`` (a buffer of the prior, so it travels in checkpoints and a resumed run
goes on with it). After every training batch the multiplier moves with the rule's violation
``v`` (:meth:`~priorkit.priors.check.Check.violation`, > 0 when broken):

    m <- clip(m * exp(rate * clip(v, -1, 1)), MIN_MULTIPLIER, MAX_MULTIPLIER)

a multiplicative dual ascent as in GECO (Rezende and Viola, 2018): it grows geometrically
while the rule is broken, whatever the scale of the loss, and decays while the rule holds
with room. A differentiable estimate becomes the Lagrangian term ``m * v`` of the loss (the
model is pushed until the rule holds); a prior may instead read its multipliers as its own
strength (``depth_decay`` scales its attention biases and its message cut), which a model
cannot outgrow because the strength keeps rising while the rule is broken.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import Tensor

from priorkit.priors.base import PriorConfig

MIN_MULTIPLIER = 1e-2
MAX_MULTIPLIER = 1e4


class EnforcedConfig(PriorConfig):
    """Arguments of a prior whose rules can be enforced.

    Args:
        enforce: make the prior's compliance rules constraints of training (adaptive
            multipliers); ``false``: the prior acts with its stated strength only.
        enforce_rate: how fast a multiplier moves per training batch (at a full violation it
            grows by ``exp(enforce_rate)``).
    """

    enforce: bool = True
    enforce_rate: float = Field(0.1, gt=0.0, le=1.0)


def step_multiplier(multiplier: Tensor, violation: Tensor, rate: float) -> Tensor:
    """The multiplier after one batch whose rule was violated by ``violation`` (detached).

    Shapes:
        multiplier, violation: () -> ().
    """
    grown = multiplier * torch.exp(rate * violation.detach().clamp(-1.0, 1.0))
    return grown.clamp(MIN_MULTIPLIER, MAX_MULTIPLIER)
