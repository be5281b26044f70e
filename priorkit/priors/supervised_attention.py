"""``SupervisedAttentionPrior``: "these nodes are the important ones", as an attention loss."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import torch
from pydantic import Field
from torch import Tensor
from torch_geometric.utils import scatter

from priorkit.errors import ConfigError
from priorkit.functional.distributions import segment_kl, segment_normalise, segment_topk_overlap
from priorkit.priors.base import Prior, PriorConfig
from priorkit.priors.build import PRIORS
from priorkit.priors.check import Check

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput

TargetFn = Callable[["PriorBatch"], Tensor]


class SupervisedAttentionConfig(PriorConfig):
    """Args:
    target: ``depth`` (p proportional to exp(-decay * depth)) or ``importance`` (the per-node
        ``importance`` of the data, normalised per tree; trees without any are skipped).
        From Python, ``SupervisedAttentionPrior(config, target_fn=...)`` takes a function
        instead.
    decay: for ``depth``.
    site: ``readout`` (attention over the nodes of each tree) or ``message`` (each node's
        attention over its neighbours, targets taken at the senders; every layer).
    weight: scales the KL loss.
    top_k: the overlap measured is of the top-k nodes of target and attention.
    max_kl: compliance: the KL must stay at or below it.
    """

    target: Literal["depth", "importance"] = "depth"
    decay: float = Field(1.0, ge=0.0)
    site: Literal["readout", "message"] = "readout"
    weight: float = Field(0.1, ge=0.0)
    top_k: int = Field(1, ge=1)
    max_kl: float = Field(0.25, ge=0.0)


@PRIORS.register("supervised_attention")
class SupervisedAttentionPrior(Prior):
    """KL(target || attention), averaged over heads (so its scale does not depend on their
    number) and over trees (readout) or receiving nodes (message).

    Args:
        config: the arguments.
        target_fn: optional function of a batch returning non-negative node scores (n,),
            normalised per tree; replaces ``target``.

    Shapes:
        target distribution: (n,) summing to 1 per tree; loss: scalar.
    """

    name = "supervised_attention"
    Config = SupervisedAttentionConfig
    config: SupervisedAttentionConfig

    def __init__(self, config: SupervisedAttentionConfig | None = None, target_fn: TargetFn | None = None):
        super().__init__(config)
        self.target_fn = target_fn

    def node_scores(self, batch: PriorBatch) -> Tensor:
        """Unnormalised target weight of each node (n,)."""
        graph = batch.graph
        if self.target_fn is not None:
            scores = self.target_fn(batch)
            if scores.shape != (graph.num_nodes,) or bool((scores < 0).any()):
                raise ConfigError(
                    f"supervised_attention: target_fn: expected non-negative scores of shape "
                    f"({graph.num_nodes},) (got {tuple(scores.shape)}). Return one score per node."
                )
            return scores.float()
        if self.config.target == "importance":
            return graph.importance.float().clamp_min(0)
        return torch.exp(-self.config.decay * graph.depth.float())

    def divergences(self, outputs: PriorModelOutput, batch: PriorBatch) -> tuple[Tensor, Tensor]:
        """KL per segment and head, and which segments have a target.

        Shapes:
            -> (s, h), (s,) with s trees (readout) or nodes (message).
        """
        graph = batch.graph
        scores = self.node_scores(batch)
        if self.config.site == "readout":
            target = segment_normalise(scores, graph.batch, batch.num_graphs)
            kl = segment_kl(target, outputs.readout_attention_heads, graph.batch, batch.num_graphs)
            return kl, _has_mass(target, graph.batch, batch.num_graphs)
        return self._message_divergences(outputs, scores, graph.num_nodes)

    def _message_divergences(
        self, outputs: PriorModelOutput, scores: Tensor, n: int
    ) -> tuple[Tensor, Tensor]:
        index = outputs.message_index
        if index is None:
            raise ConfigError("supervised_attention: site message: expected a model with message passing.")
        sender, receiver = index[0], index[1]
        target = segment_normalise(scores[sender], receiver, n)
        kls = [segment_kl(target, attention, receiver, n) for attention in outputs.message_attention]
        has = _has_mass(target, receiver, n) & (torch.bincount(receiver, minlength=n) > 1)
        return torch.stack(kls).mean(0), has

    def loss(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        kl, has = self.divergences(outputs, batch)
        if not bool(has.any()):
            return {"kl": kl.sum() * 0.0}
        return {"kl": kl[has].mean()}

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        kl, has = self.divergences(outputs, batch)
        out = {"kl": float(kl[has].mean()) if bool(has.any()) else float("nan")}
        if self.config.site == "readout":
            graph = batch.graph
            target = segment_normalise(self.node_scores(batch), graph.batch, batch.num_graphs)
            overlap = segment_topk_overlap(
                target, outputs.readout_attention, graph.batch, batch.num_graphs, self.config.top_k
            )
            out["top_k_overlap"] = float(overlap[has].mean()) if bool(has.any()) else float("nan")
        return out

    def checks(self) -> list[Check]:
        return [Check("kl", self.config.max_kl, "at_most")]


def _has_mass(target: Tensor, index: Tensor, segments: int) -> Tensor:
    return scatter(target, index, dim=0, dim_size=segments, reduce="sum") > 0.5
