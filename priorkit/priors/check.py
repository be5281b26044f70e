"""``Check``: what a prior promises, stated as a rule on one measured value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor

MARGIN = 0.05
"""Enforcement aims this far inside a one-sided rule (relative to the target), so that a model
trained to the boundary still passes on new data."""
NEAR_MARGIN = 0.25
"""A ``near`` rule is aimed a quarter inside its tolerance: its training estimate (soft accuracies on a
batch) and its evaluation (hard accuracies on a test set) differ by a few points."""

Rule = Literal["near", "at_least", "at_most"]


@dataclass(frozen=True)
class Check:
    """One compliance rule of a prior.

    Args:
        metric: a key of the prior's own ``measure`` (``gate.text``) or a dotted path into
            the evaluation report (``reliance.text``, ``root_attention``).
        target: the value stated by the prior.
        rule: ``near`` (within ``tolerance``), ``at_least`` or ``at_most``.
        tolerance: for ``near``.
        enforceable: whether a prior that enforces its rules enforces this one (False: only
            checked).
    """

    metric: str
    target: float
    rule: Rule = "near"
    tolerance: float = 0.1
    enforceable: bool = True

    def passes(self, achieved: float) -> bool:
        if self.rule == "near":
            return abs(achieved - self.target) <= self.tolerance + 1e-12
        if self.rule == "at_least":
            return achieved >= self.target
        return achieved <= self.target

    def describe(self) -> str:
        """``0.80 +- 0.10``, ``>= 0.50`` or ``<= 0.25``."""
        if self.rule == "near":
            return f"{self.target:.2f} +- {self.tolerance:.2f}"
        return f"{'>=' if self.rule == 'at_least' else '<='} {self.target:.2f}"

    def violation(self, value: Tensor) -> Tensor:
        """How far ``value`` is from keeping the rule with a small margin inside it
        (:data:`MARGIN`), in units of the target's scale: > 0 violated, < 0 kept with room.
        Differentiable in ``value``; what enforcement drives below 0.

        Shapes:
            value: () -> ().
        """
        scale = max(abs(self.target), 0.1)
        if self.rule == "near":
            return ((value - self.target).abs() - self.tolerance * (1 - NEAR_MARGIN)) / scale
        if self.rule == "at_least":
            return (self.target + MARGIN * scale - value) / scale
        return (value - self.target + MARGIN * scale) / scale
