"""``PriorStack``: the priors of a model, combined: augmentations chained, biases summed,
losses namespaced and weighted, measurements merged."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from priorkit.priors.base import Prior
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput


class PriorStack(nn.Module):
    """Holds priors in config order; an empty stack changes nothing.

    Args:
        priors: the priors.
    """

    def __init__(self, priors: Iterable[Prior] = ()) -> None:
        super().__init__()
        self.priors = nn.ModuleList(priors)

    def __len__(self) -> int:
        return len(self.priors)

    def augment(self, batch: PriorBatch, generator: torch.Generator) -> PriorBatch:
        for prior in self.priors:
            batch = prior.augment(batch, generator)
        return batch

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        total: Tensor | None = None
        for prior in self.priors:
            value = prior.bias(site, ctx)
            if value is not None:
                total = value if total is None else total + value
        return total

    def loss(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        return {
            f"{prior.name}/{key}": prior.weight * value
            for prior in self.priors
            for key, value in prior.loss(outputs, batch).items()
        }

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        return {
            f"{prior.name}/{key}": value
            for prior in self.priors
            for key, value in prior.measure(outputs, batch).items()
        }
