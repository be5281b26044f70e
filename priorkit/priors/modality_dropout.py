"""``ModalityDropoutPrior``: "the model must manage without a modality", by dropping it in training."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import torch
from pydantic import Field, field_validator
from torch import Tensor, nn

from priorkit.fusion.base import MODALITIES, modality_values
from priorkit.priors.base import PRIORS, ModelDims, Prior, PriorConfig
from priorkit.priors.check import Check
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput


class ModalityDropoutConfig(PriorConfig):
    """Args:
    p: per modality, the probability that a training sample sees a learned null vector in
        its place (drawn independently per sample and modality).
    """

    name: Literal["modality_dropout"] = "modality_dropout"

    p: dict[str, float] = Field(default_factory=lambda: {"graph": 0.5})

    @field_validator("p")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        return modality_values(value, "rates", 0.0, 0.999)


@PRIORS.register("modality_dropout")
class ModalityDropoutPrior(Prior):
    """Replaces the ``text`` or ``graph`` vector of a sample by a learned null vector, in
    training only, so that no modality can carry the decision alone.

    Shapes:
        bias("text") -> (b, t); bias("graph") -> (b, g).
    """

    name = "modality_dropout"
    Config = ModalityDropoutConfig
    config: ModalityDropoutConfig

    def bind(self, dims: ModelDims) -> None:
        self.null = nn.ParameterDict(
            {m: nn.Parameter(torch.zeros(dims.text if m == "text" else dims.graph)) for m in self.config.p}
        )

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        rate = self.config.p.get(site, 0.0)
        if not ctx.training or rate <= 0 or ctx.value is None or site not in MODALITIES:
            return None
        dropped = (torch.rand(ctx.value.size(0), 1, device=ctx.value.device) < rate).to(ctx.value.dtype)
        return dropped * (self.null[site] - ctx.value)

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        """Accuracy when each dropped modality is taken from another sample of the batch."""
        if outputs.remix is None or batch.y is None or batch.num_graphs < 2:
            return {}
        permutation = torch.roll(torch.arange(batch.num_graphs, device=batch.y.device), 1)
        return {
            f"accuracy_without.{m}": float(
                (outputs.remix(m, permutation).argmax(-1) == batch.y).float().mean()
            )
            for m in self.config.p
        }

    def checks(self) -> list[Check]:
        """The model leans on a droppable modality no more than the rate it was dropped at allows."""
        return [
            Check(f"reliance.{m}", 1.0 - rate, "at_most") for m, rate in self.config.p.items() if rate > 0
        ]
