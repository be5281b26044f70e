"""``GradientPenaltyPrior``: "right for the right reasons": the prediction must not be
sensitive to a modality, or to deep nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from priorkit.functional.distributions import mass_by_depth
from priorkit.priors.base import MAX_DEPTH, MAX_STRENGTH, PRIORS, Prior, PriorConfig
from priorkit.priors.check import Check

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput


class GradientPenaltyConfig(PriorConfig):
    """Args:
    modality: penalise the input gradient of the task loss with respect to the ``graph`` or
        ``text`` vector, or (``nodes``) to the inputs of nodes deeper than ``depth``.
    depth: for ``nodes``.
    weight: scales the penalty (mean squared gradient norm per sample or node).
    max_share: compliance: reliance share of the penalised modality (``nodes``: readout
        attention beyond ``depth``) must stay at or below it.
    """

    name: Literal["gradient_penalty"] = "gradient_penalty"

    modality: Literal["graph", "text", "nodes"] = "graph"
    depth: int = Field(1, ge=0, le=MAX_DEPTH)
    weight: float = Field(0.1, ge=0.0, le=MAX_STRENGTH)
    max_share: float = Field(0.5, ge=0.0, le=1.0)


@PRIORS.register("gradient_penalty")
class GradientPenaltyPrior(Prior):
    """Squared norm of d(task loss)/d(input), with the loss summed over samples so that each
    sample's own gradient is penalised (a double backward in training).

    Shapes:
        graph: (b, g); text: (b, t); node inputs: (n, d) -> a scalar loss.
    """

    name = "gradient_penalty"
    Config = GradientPenaltyConfig
    config: GradientPenaltyConfig

    def _inputs(self, outputs: PriorModelOutput, batch: PriorBatch) -> tuple[Tensor | None, Tensor | None]:
        if self.config.modality == "graph":
            return outputs.graph, None
        if self.config.modality == "text":
            return outputs.text, None
        return outputs.node_inputs, batch.graph.depth > self.config.depth

    def loss(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        inputs, rows = self._inputs(outputs, batch)
        if batch.y is None or inputs is None or not inputs.requires_grad or not torch.is_grad_enabled():
            return {}
        task = F.cross_entropy(outputs.logits, batch.y, reduction="sum")
        (gradient,) = torch.autograd.grad(task, inputs, create_graph=True)
        if rows is not None:
            if not bool(rows.any()):
                return {}
            gradient = gradient[rows]
        return {"gradient": gradient.pow(2).sum(-1).mean()}

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        if self.config.modality != "nodes":
            return {}
        graph = batch.graph
        mass = mass_by_depth(
            outputs.readout_attention,
            graph.depth.clamp(max=self.config.depth + 1),
            graph.batch,
            batch.num_graphs,
        )
        return {"deep_attention": float(mass[:, self.config.depth + 1 :].sum(-1).mean())}

    def checks(self) -> list[Check]:
        metric = "deep_attention" if self.config.modality == "nodes" else f"reliance.{self.config.modality}"
        return [Check(metric, self.config.max_share, "at_most")]
