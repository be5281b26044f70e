"""``ModalityGatePrior``: "the text matters more than the graph", as a share per modality."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import torch
from pydantic import Field, field_validator, model_validator
from torch import Tensor, nn

from priorkit.fusion.base import MODALITIES, modality_values
from priorkit.priors.base import MAX_STRENGTH, MIN_TEMPERATURE, PRIORS, ModelDims, Prior
from priorkit.priors.check import Check
from priorkit.priors.enforce import EnforcedConfig
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput


class ModalityGateConfig(EnforcedConfig):
    """Args:
    target: share per modality. One modality named states a minimum: ``{text: 0.8}`` (the
        default) reads "the text's share is at least 0.8", the graph's is left free. Both
        named state the split: ``{text: 0.8, graph: 0.2}``.
    mode: ``bound`` (the default for a minimum, one modality named) acts on the decision
        itself, with any fusion: each sample's logits are the
        logits without the other modality (a learned null vector in its place) plus that
        modality's change to them, scaled down where needed so that the change is at most
        ``(1 - target) / target`` times the size of the logits without it (sizes: norms of
        logits centred over classes). The named modality's share of every decision,
        ``|without| / (|without| + |change|)``, is then at least the target on any data,
        shifted data included. It needs one modality named (``{text: 0.8}``). ``soft`` (the
        default for an exact split, both named or ``floor: false``) pulls the fusion weights
        toward the target with a loss; ``hard`` fixes them at it (one named: the other gets the
        rest). Both act on the gate of a gated fusion, which is not the decision: the head may
        still let the graph decide, and on shifted data it does (docs: Priors on real data).
    floor: overrides that reading: ``true`` reads every named share as a minimum (only
        shares below it are pulled), ``false`` reads a single named share as the exact split
        (the other modality gets the rest). Unset: a minimum when one modality is named.
    weight: scales both losses.
    reliance_weight: weight, relative to the gate loss, of the reliance loss: the drop in
        the true class's probability when a modality is swapped between samples, turned
        into shares and pulled toward the target. The gate is what the model shows; this
        acts on what it does. 0 turns it off.
    reliance_temperature: the reliance loss compares soft accuracies,
        ``softmax(logits / temperature)`` at the true class; lower temperatures come closer
        to the accuracy drops that permutation reliance reports (and give smaller gradients).
    tolerance: compliance: how far the measured shares may lie from the target.
    enforce: the gate rule is a constraint of training: a Lagrangian term whose multiplier
        rises while a training batch breaks it. The reliance rule is pursued by the reliance
        loss and checked, not enforced (its batch estimate is too noisy to steer a multiplier).
    """

    name: Literal["modality_gate"] = "modality_gate"

    target: dict[str, float] = Field(default_factory=lambda: {"text": 0.8})
    mode: Literal["soft", "hard", "bound"] = "bound"
    floor: bool | None = None
    reliance_weight: float = Field(1.0, ge=0.0, le=MAX_STRENGTH)
    reliance_temperature: float = Field(0.25, ge=MIN_TEMPERATURE, le=MAX_STRENGTH)
    tolerance: float = Field(0.1, ge=0.0, le=1.0)

    @field_validator("target")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        value = modality_values(value, "shares", 0.0, 1.0)
        if sum(value.values()) > 1.0 + 1e-6:
            raise ValueError(f"expected shares summing to at most 1 (got {sum(value.values()):.3f})")
        return value

    @model_validator(mode="after")
    def _split(self) -> ModalityGateConfig:
        if "mode" not in self.model_fields_set and (len(self.target) != 1 or self.floor is False):
            # without a mode: a bound for a minimum of one modality, a soft pull for a split (a
            # bound caps one modality and cannot state a split); left unset, so that a changed
            # copy (``RunConfig.updated``, a sweep) derives it again from its own target
            object.__setattr__(self, "mode", "soft")
        total = sum(self.target.values())
        if len(self.target) == 2 and not self.is_floor() and abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"target: expected shares summing to 1 (got {total:.3f}); "
                "set floor: true to read them as minimums"
            )
        if self.mode == "bound" and (len(self.target) != 1 or not self.is_floor()):
            raise ValueError(
                f"mode bound: expected one modality's minimum share of the decision (got target "
                f"{self.target}, floor {self.floor}); name one modality, as in target: {{text: 0.8}}, "
                "or set mode: soft to pull toward a split"
            )
        return self

    def bounded(self) -> str | None:
        """The modality whose share of the decision ``bound`` caps (None in other modes)."""
        if self.mode != "bound":
            return None
        return next(m for m in MODALITIES if m not in self.target)

    def is_floor(self) -> bool:
        """Whether the named shares are minimums (``floor``, or one modality named)."""
        return self.floor if self.floor is not None else len(self.target) == 1

    def shares(self) -> dict[str, float]:
        """The target of both modalities (a missing one gets the rest)."""
        given = sum(self.target.values())
        return {m: self.target.get(m, 1.0 - given) for m in MODALITIES}


def centred_norm(logits: Tensor) -> Tensor:
    """Size of each row of logits, blind to a shift of all classes (which no softmax sees).

    Shapes:
        logits: (b, c) -> (b,).
    """
    return (logits - logits.mean(-1, keepdim=True)).norm(dim=-1)


def decision_share(logits: Tensor, without: Tensor) -> Tensor:
    """The share of each decision that the kept modality makes: the size of the logits
    ``without`` the other modality over that size plus the size of the other's change.

    Shapes:
        logits, without: (b, c) -> (b,) in [0, 1] (1 where neither has a size).
    """
    kept, change = centred_norm(without), centred_norm(logits - without)
    return torch.where(kept + change > 0, kept / (kept + change).clamp_min(1e-12), torch.ones_like(kept))


@PRIORS.register("modality_gate")
class ModalityGatePrior(Prior):
    """Targets the modality shares: the gate's weights (``hard``: fixed; ``soft``: a loss), the
    decision itself (``bound``: the other modality's change to the logits capped) and the
    reliance shares the model shows when a modality is swapped between samples.

    Shapes:
        bias("fusion") -> (b, 2) in ``hard`` mode; bias("logits") -> (b, c) in ``bound``
        mode; losses: scalars.
    """

    name = "modality_gate"
    Config = ModalityGateConfig
    config: ModalityGateConfig

    def __init__(self, config: ModalityGateConfig | None = None) -> None:
        super().__init__(config)
        shares = self.config.shares()
        self.register_buffer("target", torch.tensor([shares[m] for m in MODALITIES]))
        # with ``floor`` only the modalities the user named are floors
        named = [m in self.config.target or not self.config.is_floor() for m in MODALITIES]
        self.register_buffer("constrained", torch.tensor(named))
        bounded = self.config.bounded()
        # ``bound``: the other modality may change the logits by at most ``ratio`` times their size without it
        self.ratio = shares[bounded] / max(1.0 - shares[bounded], 1e-12) if bounded else 0.0

    def bind(self, dims: ModelDims) -> None:
        bounded = self.config.bounded()
        if bounded is not None:  # what the model sees in place of the bounded modality ("without it")
            self.null = nn.Parameter(torch.zeros(dims.text if bounded == "text" else dims.graph))

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        if ctx.value is None:
            return None
        if site == "fusion" and self.config.mode == "hard":
            # softmax(logits + log(target) - logits) == target: the weights are fixed, whatever the gate says
            return torch.log(self.target.clamp_min(1e-6)) - ctx.value
        bounded = self.config.bounded()
        if site == "logits" and bounded is not None and ctx.remix is not None:
            return self._cap(ctx.value, ctx.remix(bounded, self.null))
        return None

    def _cap(self, logits: Tensor, without: Tensor) -> Tensor:
        """The bias that scales the bounded modality's change ``logits - without`` down to at
        most ``ratio`` times the size of ``without``, sample by sample.

        Shapes:
            logits, without: (b, c) -> (b, c).
        """
        change = logits - without
        scale = (self.ratio * centred_norm(without) / centred_norm(change).clamp_min(1e-12)).clamp(max=1.0)
        return (scale - 1.0).unsqueeze(-1) * change

    def _distance(self, shares: Tensor) -> Tensor:
        """Squared distance of (b, 2) or (2,) shares from the target (only below it with ``floor``)."""
        gap = self.target - shares
        gap = gap.clamp_min(0) if self.config.is_floor() else gap
        return (gap * self.constrained).pow(2).sum(-1).mean()

    def reliance_shares(self, outputs: PriorModelOutput, batch: PriorBatch) -> Tensor | None:
        """Differentiable reliance: drop of the soft accuracy when each modality is taken from
        another sample of the batch, as shares (2,); None if nothing drops."""
        if outputs.remix is None or batch.y is None or batch.num_graphs < 2:
            return None
        y = batch.y
        permutation = torch.roll(torch.arange(batch.num_graphs, device=y.device), 1)

        def soft_accuracy(logits: Tensor) -> Tensor:
            return (
                torch.softmax(logits / self.config.reliance_temperature, -1).gather(1, y[:, None]).squeeze(1)
            )

        true = soft_accuracy(outputs.logits)
        drops = [
            (true - soft_accuracy(outputs.remix(m, permutation))).mean().clamp_min(0) for m in MODALITIES
        ]
        total = drops[0] + drops[1]
        return None if float(total.detach()) <= 1e-6 else torch.stack(drops) / total

    def loss(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        losses = {}
        if self.config.mode == "soft" and outputs.modality_weights is not None:
            losses["gate"] = self._distance(outputs.modality_weights)
        if self.config.reliance_weight > 0:
            shares = self.reliance_shares(outputs, batch)
            if shares is not None:
                losses["reliance"] = self.config.reliance_weight * self._distance(shares)
        return losses

    def estimates(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        # only the gate rule is enforced: a batch's soft reliance shares are too noisy to steer
        # a multiplier (enforced, they pushed the text's reliance away from its target on the
        # shipped data); the reliance rule is pursued by the reliance loss and checked
        if outputs.modality_weights is None:
            return {}
        return {
            check.metric: outputs.modality_weights[:, MODALITIES.index(check.metric.split(".")[1])].mean()
            for check in self.checks()
            if check.enforceable
        }

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        measured = {}
        if outputs.modality_weights is not None:
            mean = outputs.modality_weights.mean(0)
            measured.update({f"gate.{m}": float(mean[k]) for k, m in enumerate(MODALITIES)})
        bounded = self.config.bounded()
        if bounded is not None and outputs.remix is not None:
            kept = next(iter(self.config.target))
            share = decision_share(outputs.logits, outputs.remix(bounded, self.null))
            measured[f"decision.{kept}"] = float(share.mean())
        return measured

    def checks(self) -> list[Check]:
        floor = self.config.is_floor()
        rule = "at_least" if floor else "near"
        shares, tolerance = self.config.shares(), self.config.tolerance
        named = [m for m in MODALITIES if m in self.config.target]
        named = named if floor else named[:1]  # an exact split: one share says it all
        # ``bound`` leaves the gate free and holds the decision instead
        kinds = ("decision", "reliance") if self.config.mode == "bound" else ("gate", "reliance")
        return [
            Check(f"{kind}.{m}", shares[m], rule, tolerance, enforceable=kind == "gate")
            for kind in kinds
            for m in named
        ]
