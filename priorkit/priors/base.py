"""``Prior``: the one extension point. A prior overrides any of four hooks; each does nothing by default.

- ``augment(batch, generator)``: training batches, before the forward; returns a new batch
  (the input is never mutated).
- ``bias(site, ctx)``: every forward, at each site of :mod:`priorkit.sites`; returns additive
  logits or None.
- ``loss(outputs, batch)``: every training forward; returns ``{key: scalar}``, namespaced and
  weighted by the stack.
- ``measure(outputs, batch)``: evaluation; returns ``{metric: value}``, achieved vs target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import torch
from torch import Tensor, nn

from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput


class Prior(nn.Module):
    """Base class of priors.

    Args:
        weight: scales every loss this prior returns.
    """

    name: ClassVar[str] = "prior"

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = weight

    def augment(self, batch: PriorBatch, generator: torch.Generator) -> PriorBatch:
        return batch

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        return None

    def loss(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        return {}

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        return {}
