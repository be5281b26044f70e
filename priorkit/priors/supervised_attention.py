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
from priorkit.priors.base import MAX_STRENGTH, PRIORS, ModelDims, Prior
from priorkit.priors.check import Check
from priorkit.priors.enforce import EnforcedConfig
from priorkit.priors.leaf_share import LEAF_SHARE, batch_leaf_share
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput

TargetFn = Callable[["PriorBatch"], Tensor]
CUT = 1e-6
"""Weights below it count as it at the message site: a message from a node of weight 0 to one
of weight 1 is scaled by 1e-6 (times the strength in the exponent)."""


class SupervisedAttentionConfig(EnforcedConfig):
    """Args:
    target: ``depth`` (the mass at depth d proportional to exp(-decay * d), shared equally by
        the nodes at that depth, so that the root's share does not shrink as trees grow wide)
        or ``importance`` (the per-node ``importance`` of the data, normalised per tree; trees
        without any are skipped).
        From Python, ``SupervisedAttentionPrior(config, target_fn=...)`` takes a function
        instead.
    decay: for ``depth``.
    site: ``readout`` (attention over the nodes of each tree) or ``message`` (each node's
        attention over its neighbours, targets taken at the senders; every layer).
    weight: scales the KL loss.
    top_k: the overlap measured is of the top-k nodes of target and attention.
    max_kl: compliance: the KL must stay at or below it.
    max_leaf_share: compliance, ``depth`` target only: the leaves' share of the reliance of
        root and leaves (``reliance_nodes.shares.leaves``) must stay at or below it.
    enforce: the rules are constraints of training. The KL: a Lagrangian term whose multiplier
        rises while the KL of training batches is above ``max_kl``. The prior's strength (the leaf
        rule's multiplier, at least 1) acts twice: what a node receives from a less
        important neighbour is scaled by the ratio of their target weights to the power of the
        strength (the ``message_scale`` site; a node of weight 0 is cut off), so that the
        important nodes' states are not filled with what the others know; and above 1 the
        readout attention is biased by ``(strength - 1) * log(target weight)``, sharpening it
        toward the important nodes while the leaf rule is broken.
    """

    name: Literal["supervised_attention"] = "supervised_attention"

    target: Literal["depth", "importance"] = "depth"
    decay: float = Field(2.0, ge=0.0, le=MAX_STRENGTH)
    site: Literal["readout", "message"] = "readout"
    weight: float = Field(0.1, ge=0.0, le=MAX_STRENGTH)
    top_k: int = Field(1, ge=1, le=2**31 - 1)
    max_kl: float = Field(0.25, ge=0.0, le=MAX_STRENGTH)
    max_leaf_share: float = Field(0.3, ge=0.0, le=1.0)


@PRIORS.register("supervised_attention")
class SupervisedAttentionPrior(Prior):
    """KL(target || attention), averaged over heads (so its scale does not depend on their
    number) and over trees (readout) or receiving nodes (message).

    Args:
        config: the arguments.
        target_fn: optional function of a batch returning non-negative node scores (n,),
            normalised per tree; replaces ``target``.

    Shapes:
        target distribution: (n,) summing to 1 per tree; loss: scalar;
        bias("message_scale") -> (m,) (not with ``target_fn``).
    """

    name = "supervised_attention"
    Config = SupervisedAttentionConfig
    config: SupervisedAttentionConfig

    def __init__(self, config: SupervisedAttentionConfig | None = None, target_fn: TargetFn | None = None):
        self.target_fn = target_fn  # before the base class sizes one multiplier per rule
        super().__init__(config)

    def bind(self, dims: ModelDims) -> None:
        super().bind(dims)
        if self.target_fn is None and self.config.target == "importance" and dims.important == 0:
            raise ConfigError(
                "supervised_attention: target importance: expected training samples that mark some "
                "node important (`importance` above 0 on a node; got none), so the prior would do "
                "nothing. Add the importance to the training data, or use target: depth."
            )

    def node_scores(self, batch: PriorBatch) -> Tensor:
        """Unnormalised target weight of each node (n,)."""
        graph = batch.graph
        if self.target_fn is None and self.config.target == "depth":
            level = torch.exp(-self.config.decay * graph.depth.float())
            per_level = torch.zeros(batch.num_graphs, int(graph.depth.max()) + 1, device=level.device)
            per_level = per_level.index_put(
                (graph.batch, graph.depth), torch.ones_like(level), accumulate=True
            )
            return level / per_level[graph.batch, graph.depth]
        if self.target_fn is not None:
            scores = self.target_fn(batch)
            if scores.shape != (graph.num_nodes,) or bool((scores < 0).any()):
                raise ConfigError(
                    f"supervised_attention: target_fn: expected non-negative scores of shape "
                    f"({graph.num_nodes},) (got {tuple(scores.shape)}). Return one score per node."
                )
            return scores.float()
        return graph.importance.float().clamp_min(0)

    def strength(self) -> Tensor:
        """The multiplier of the leaf rule, at least 1 (1 without that rule): what the message
        cut and the readout sharpening scale with. The KL rule's multiplier only weighs its
        Lagrangian term: sharpening toward the root to keep the KL low would break the KL."""
        if not self._bounds_leaves():
            return self.multipliers.new_ones(())
        return self.multiplier(LEAF_SHARE).clamp_min(1.0)

    def _log_weights(self, ctx: SiteContext) -> Tensor | None:
        """log of each node's own target weight (its depth level's, or its importance)."""
        if self.target_fn is not None:
            return None
        if self.config.target == "depth":
            return -self.config.decay * ctx.depth.float()
        return None if ctx.importance is None else torch.log(ctx.importance.float().clamp_min(CUT))

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        if site not in ("message_scale", self.config.site) or not self.enforcing:
            return None
        log_weight = self._log_weights(ctx)
        if log_weight is None:
            return None
        strength = self.strength()
        if site == "readout":
            return (strength - 1.0) * log_weight
        if site == "message":
            return None
        sender, receiver = ctx.message_index  # type: ignore[misc]
        return strength * (log_weight[sender] - log_weight[receiver]).clamp(max=0.0)

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

    def estimates(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        kl, has = self.divergences(outputs, batch)
        out = {"kl": kl[has].mean()} if bool(has.any()) else {}
        if self._bounds_leaves():
            out[LEAF_SHARE] = batch_leaf_share(outputs, batch)
        return out

    def _bounds_leaves(self) -> bool:
        return self.target_fn is None and self.config.target == "depth"

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
        checks = [Check("kl", self.config.max_kl, "at_most")]
        if self._bounds_leaves():
            checks.append(Check(LEAF_SHARE, self.config.max_leaf_share, "at_most"))
        return checks


def _has_mass(target: Tensor, index: Tensor, segments: int) -> Tensor:
    return scatter(target, index, dim=0, dim_size=segments, reduce="sum") > 0.5
