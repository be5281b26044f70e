"""``Check``: what a prior promises, stated as a rule on one measured value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
    """

    metric: str
    target: float
    rule: Rule = "near"
    tolerance: float = 0.1

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
