"""``GroupInvariancePrior``: "the label must not depend on which group a sample comes from".

Groups are the samples' ``group`` field: PHEME events, stories, post-time periods, any column
of the user's data put there. Two methods behind one name, usable together:

- ``adversary``: a group classifier reads the fused vector through a gradient reversal layer
  (the event discriminator of EANN, Wang et al. KDD 2018; DANN, Ganin et al. 2016): it learns
  to tell the groups apart, and the layers below it learn to make that impossible.
- ``confusion``: the same classifier learns on the fused vector (detached), and the layers below
  are pulled toward making its guesses uniform over the groups (a confusion loss, Tzeng et al.
  ICCV 2015): reversed cross-entropy can be maximised by mapping each group onto another one,
  still separable; uniform guesses cannot.
- ``dro``: the loss of the worst groups is weighted up (Group DRO, Sagawa et al. ICLR 2020):
  per-group weights ``q`` follow ``q_g <- q_g exp(eta L_g)`` over training batches and the prior
  adds ``sum_g q_g L_g`` to the task loss.

Compliance is checked on the data a model scores, not on training batches: a fresh logistic
probe fitted on the fused vectors must not tell the groups apart much better than the majority
group does (``groups.probe_excess`` of the evaluation report, see
:mod:`priorkit.analysis.groups`, which also reports the worst group's accuracy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from priorkit.errors import ConfigError
from priorkit.functional.gradient_reversal import reverse_gradient
from priorkit.priors.base import PRIORS, ModelDims, Prior, PriorConfig
from priorkit.priors.check import Check

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput

PROBE_EXCESS = "probe_excess"


class GroupInvarianceConfig(PriorConfig):
    """Args:
    method: ``adversary`` (a group classifier behind gradient reversal), ``confusion`` (the
        encoders pull its guesses toward uniform), ``dro`` (worst-group weighting of the task
        loss) or ``both`` (adversary and dro).
    reversal: the gradient reversal's scale (how hard the encoders hide the group).
    adversary_hidden: width of the group classifier's hidden layer.
    dro_step: eta, how fast a group's weight rises with its loss.
    tolerance: compliance: a fresh probe's group accuracy at most this above the majority share.
    """

    name: Literal["group_invariance"] = "group_invariance"
    method: Literal["adversary", "confusion", "dro", "both"] = "adversary"
    reversal: float = Field(1.0, gt=0.0)
    adversary_hidden: int = Field(64, ge=1)
    dro_step: float = Field(0.01, gt=0.0)
    tolerance: float = Field(0.1, gt=0.0, le=1.0)


@PRIORS.register("group_invariance")
class GroupInvariancePrior(Prior):
    """Hides the training groups from the fused vector (adversary) and/or weights up the worst
    groups' loss (DRO).

    Shapes:
        loss: scalars; the adversary reads fused (b, d) -> (b, groups); buffer group_weight (g,).
    """

    name = "group_invariance"
    Config = GroupInvarianceConfig
    config: GroupInvarianceConfig

    def bind(self, dims: ModelDims) -> None:
        if len(dims.groups) < 2:
            raise ConfigError(
                f"group_invariance: expected training samples of at least 2 groups in their `group` field "
                f"(got {len(dims.groups)}: {list(dims.groups)}). Set `group` on every training sample (an "
                "event, a story, a period), or drop the prior."
            )
        if dims.fused < 1:
            raise ConfigError("group_invariance: expected a model that reports its fused width (got none).")
        self.groups = dims.groups
        self.index = {group: k for k, group in enumerate(dims.groups)}
        if self.config.method != "dro":  # no unused parameters otherwise (DDP)
            self.adversary = nn.Sequential(
                nn.Linear(dims.fused, self.config.adversary_hidden),
                nn.ReLU(),
                nn.Linear(self.config.adversary_hidden, len(dims.groups)),
            )
        self.register_buffer("group_weight", torch.full((len(dims.groups),), 1.0 / len(dims.groups)))

    def group_codes(self, batch: PriorBatch) -> Tensor:
        """Each sample's index among the training groups, -1 for a group training did not see.

        Shapes:
            -> (b,) int64.
        """
        return torch.tensor([self.index.get(g, -1) for g in batch.groups], dtype=torch.long)

    def loss(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        if not outputs.logits.requires_grad or batch.y is None or outputs.fused is None:
            return {}  # evaluation forwards: nothing to learn
        codes = self.group_codes(batch).to(outputs.logits.device)
        known = codes >= 0
        if not bool(known.any()):
            return {}
        out: dict[str, Tensor] = {}
        fused = outputs.fused[known]
        if self.config.method in ("adversary", "both"):
            guess = self.adversary(reverse_gradient(fused, self.config.reversal))
            out["adversary"] = F.cross_entropy(guess, codes[known])
        if self.config.method == "confusion":
            out["adversary"] = F.cross_entropy(self.adversary(fused.detach()), codes[known])
            frozen = {name: value.detach() for name, value in self.adversary.named_parameters()}
            guess = torch.func.functional_call(self.adversary, frozen, (fused,))
            out["confusion"] = self.config.reversal * -F.log_softmax(guess, -1).mean()
        if self.config.method in ("dro", "both"):
            out["worst_groups"] = self._dro(outputs.logits[known], batch.y[known], codes[known])
        return out

    def _dro(self, logits: Tensor, y: Tensor, codes: Tensor) -> Tensor:
        """``sum_g q_g L_g`` over the groups of the batch, after moving ``q`` with their losses."""
        per_sample = F.cross_entropy(logits, y, reduction="none")
        present = torch.unique(codes)
        losses = torch.stack([per_sample[codes == g].mean() for g in present])
        with torch.no_grad():
            weight = self.group_weight.clone()
            weight[present] = weight[present] * torch.exp(self.config.dro_step * losses.detach())
            self.group_weight = weight / weight.sum()
        chosen = self.group_weight[present]
        return (chosen / chosen.sum() * losses).sum()

    def checks(self) -> list[Check]:
        # measured on the scored data by the evaluation itself (its ``groups`` section)
        return [Check(f"groups.{PROBE_EXCESS}", self.config.tolerance, "at_most", enforceable=False)]
