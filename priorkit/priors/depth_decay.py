"""``DepthDecayPrior``: "the root matters more than the leaves", as attention biases and, enforced,
a cut of what the leaves send toward the root."""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from priorkit.functional.distributions import DEPTH_BUCKETS, mass_by_depth
from priorkit.priors.base import MAX_DEPTH, MAX_STRENGTH, PRIORS, Prior
from priorkit.priors.check import Check
from priorkit.priors.enforce import EnforcedConfig
from priorkit.priors.leaf_share import LEAF_SHARE, batch_leaf_share
from priorkit.sites import SiteContext

Site = Literal["readout", "message"]


class DepthDecayConfig(EnforcedConfig):
    """Args:
    decay: lambda, the bias per unit of depth (0: no bias).
    form: ``linear`` (-lambda * depth), ``exponential`` (-lambda * (2**depth - 1)), or
        ``learned`` (one bias per depth, initialised to the linear form).
    sites: where the bias goes: ``readout`` (attention over nodes) and/or ``message``
        (each node's attention over its neighbours, by the sender's depth).
    learnable: lambda is a trained parameter (kept >= 0); with ``learned``, the per-depth
        biases are trained.
    monotonic: with ``learned``: the bias never rises with depth.
    max_depth: depths beyond it get the bias of ``max_depth``.
    min_root_mass: compliance: the readout attention on the root must reach it.
    max_leaf_share: compliance: the leaves' share of the reliance of root and leaves
        (node-group reliance, ``reliance_nodes.shares.leaves``) must stay at or below it.
    enforce: both rules are constraints of training: the prior's strength (the multiplier of
        every bias it adds) rises while either is broken on training batches, and messages
        sent toward the root are attenuated by the same decay (the ``message_scale`` site),
        so what the leaves know can be cut off from the root, not only reweighted.
    """

    name: Literal["depth_decay"] = "depth_decay"

    decay: float = Field(1.0, ge=0.0, le=MAX_STRENGTH)
    form: Literal["linear", "exponential", "learned"] = "linear"
    sites: list[Site] = Field(default_factory=lambda: ["readout", "message"], min_length=1)
    learnable: bool = False
    monotonic: bool = True
    max_depth: int = Field(8, ge=1, le=MAX_DEPTH)
    min_root_mass: float = Field(0.5, ge=0.0, le=1.0)
    max_leaf_share: float = Field(0.3, ge=0.0, le=1.0)


def _inverse_softplus(value: float) -> float:
    return value + math.log(-math.expm1(-value)) if value > 0 else -20.0


@PRIORS.register("depth_decay")
class DepthDecayPrior(Prior):
    """Additive attention logits that fall with depth, so attention flows toward the root.

    Shapes:
        bias("readout") -> (n,); bias("message") -> (m,) by the depth of each edge's sender;
        bias("message_scale") -> (m,): 0 down the tree, the fall of the curve from sender to
        receiver up it.
    """

    name = "depth_decay"
    Config = DepthDecayConfig
    config: DepthDecayConfig

    def __init__(self, config: DepthDecayConfig | None = None) -> None:
        super().__init__(config)
        c = self.config
        self.raw_decay = nn.Parameter(torch.tensor(_inverse_softplus(c.decay)), requires_grad=c.learnable)
        if c.monotonic:  # per-depth decrements through softplus: the curve can only fall
            steps = torch.full((c.max_depth,), _inverse_softplus(c.decay))
        else:
            steps = -c.decay * torch.arange(1, c.max_depth + 1, dtype=torch.float)
        self.steps = nn.Parameter(steps, requires_grad=c.form == "learned")

    @property
    def decay(self) -> Tensor:
        """lambda (>= 0; ``learned`` reports the mean fall per depth instead)."""
        if self.config.form == "learned":
            return -self.curve()[1:].mean() / ((self.config.max_depth + 1) / 2)
        return F.softplus(self.raw_decay)

    def curve(self) -> Tensor:
        """The bias at depth 0..max_depth.

        Shapes:
            -> (max_depth + 1,), 0 at the root.
        """
        c = self.config
        depth = torch.arange(c.max_depth + 1, dtype=torch.float, device=self.steps.device)
        if c.form == "linear":
            return 0.0 - self.decay * depth
        if c.form == "exponential":
            return 0.0 - self.decay * (2.0**depth - 1.0)
        rest = -torch.cumsum(F.softplus(self.steps), 0) if c.monotonic else self.steps
        return torch.cat([rest.new_zeros(1), rest])

    def strength(self) -> Tensor:
        """What every bias is multiplied by: 1, or while enforcing, the largest multiplier of its
        rules (never below 1, so the stated decay is a floor)."""
        if not self.enforcing:
            return self.multipliers.new_ones(())
        return self.multipliers.max().clamp_min(1.0)

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        if site == "message_scale":
            return self._message_scale(ctx)
        if site not in self.config.sites:
            return None
        depth = ctx.depth.clamp(max=self.config.max_depth)
        if site == "message":
            depth = depth[ctx.message_index[0]]  # type: ignore[index]
        return self.strength() * self.curve()[depth]

    def _message_scale(self, ctx: SiteContext) -> Tensor | None:
        if not self.enforcing or "message" not in self.config.sites:
            return None
        curve = self.curve()
        depth = ctx.depth.clamp(max=self.config.max_depth)
        sender, receiver = ctx.message_index  # type: ignore[misc]
        fall = (curve[depth[sender]] - curve[depth[receiver]]).clamp(max=0.0)
        return self.strength() * fall * ctx.message_direction  # type: ignore[operator]

    def estimates(self, outputs, batch) -> dict[str, Tensor]:  # type: ignore[no-untyped-def]
        graph = batch.graph
        root_mass = outputs.readout_attention[graph.root_index].mean().detach()
        return {"root_mass": root_mass, LEAF_SHARE: batch_leaf_share(outputs, batch)}

    def measure(self, outputs, batch) -> dict[str, float]:  # type: ignore[no-untyped-def]
        graph = batch.graph
        attention = outputs.readout_attention
        mass = mass_by_depth(attention, graph.depth, graph.batch, batch.num_graphs)
        out = {f"mass_depth_{name}": float(mass[:, k].mean()) for k, name in enumerate(DEPTH_BUCKETS)}
        out["root_mass"] = float(attention[graph.root_index].mean())
        out["decay"] = float(self.decay.detach())
        out["strength"] = float(self.strength())
        return out

    def checks(self) -> list[Check]:
        return [
            Check("root_mass", self.config.min_root_mass, "at_least"),
            Check(LEAF_SHARE, self.config.max_leaf_share, "at_most"),
        ]
