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
- ``erasure``: the group is erased from the fused vector the head reads (linear concept
  erasure; INLP, Ravfogel et al. ACL 2020; LEACE, Belrose et al. NeurIPS 2023): running means
  of the fused vector per training group are kept as batch norm keeps its statistics, and the
  directions in which they differ are projected out at the ``fused`` site, in training and at
  use (one fixed projection: no label is read at use). Once the groups' means are equal, no
  linear classifier tells the groups apart better than the majority group does. Where groups
  differ in their class mix (PHEME's events) that erases label too; ``within_class: true``
  erases only the directions in which one class's groups differ (what the vector says beyond
  the label). The guarantee is linear: a non-linear probe may still tell groups apart.
- ``dro``: the loss of the worst groups is weighted up (Group DRO, Sagawa et al. ICLR 2020):
  per-group weights ``q`` follow ``q_g <- q_g exp(eta L_g)`` over training batches and the prior
  adds ``sum_g q_g L_g`` to the task loss.

Compliance is checked on the data a model scores, not on training batches: a fresh logistic
probe fitted on the fused vectors must not tell the groups apart much better than the majority
group does (``groups.probe_excess`` of the evaluation report; for erasure within classes, the
same probe fitted within each class, ``groups.probe_excess_within_class``; see
:mod:`priorkit.analysis.groups`, which also reports the worst group's accuracy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from priorkit.errors import ConfigError
from priorkit.functional.gradient_reversal import reverse_gradient
from priorkit.priors.base import MAX_STRENGTH, PRIORS, ModelDims, Prior, PriorConfig
from priorkit.priors.check import Check

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput
    from priorkit.sites import SiteContext

PROBE_EXCESS = "probe_excess"
TRAINED_GROUPS = "trained_groups"
PROBE_EXCESS_WITHIN = "probe_excess_within_class"


class GroupInvarianceConfig(PriorConfig):
    """Args:
    method: ``erasure`` (the default: the directions that separate the groups' mean fused
        vectors are projected out), ``adversary`` (a group classifier behind gradient
        reversal), ``confusion`` (the encoders pull its guesses toward uniform), ``dro``
        (worst-group weighting of the task loss) or ``both`` (adversary and dro).
    reversal: the gradient reversal's scale (how hard the encoders hide the group).
    adversary_hidden: width of the group classifier's hidden layer.
    dro_step: eta, how fast a group's weight rises with its loss.
    within_class: erasure: equalise the groups' means within each class (true) or overall
        (false, the default).
    momentum: erasure: the weight of a training batch in the running group means (the exact
        mean of the batches seen while a group has fewer samples than ``1 / momentum`` batches'
        worth).
    tolerance: compliance: a fresh probe's group accuracy at most this above the majority share.
    """

    name: Literal["group_invariance"] = "group_invariance"
    method: Literal["erasure", "adversary", "confusion", "dro", "both"] = "erasure"
    reversal: float = Field(1.0, gt=0.0, le=MAX_STRENGTH)
    adversary_hidden: int = Field(64, ge=1, le=2**16)
    dro_step: float = Field(0.01, gt=0.0, le=MAX_STRENGTH)
    within_class: bool = False
    momentum: float = Field(0.3, gt=0.0, le=1.0)
    tolerance: float = Field(0.1, gt=0.0, le=1.0)


@PRIORS.register("group_invariance")
class GroupInvariancePrior(Prior):
    """Hides the training groups from the fused vector (erasure, adversary, confusion) or
    weights up the worst groups' loss (DRO).

    Shapes:
        loss: scalars; the adversary reads fused (b, d) -> (b, groups); buffer group_weight (g,);
        erasure buffers group_mean (cells, d), group_count (cells,), basis (d, r), center (d,),
        with cells = g * classes (within_class) or g, r = min(d, classes * (g - 1)) or g - 1.
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
        if dims.ungrouped:
            raise ConfigError(
                f"group_invariance: {len(dims.ungrouped)} training sample(s) have no `group` (first: "
                f"sample {dims.ungrouped[0]!r}), while others have one; they would be left out of what "
                "the prior hides. Set `group` on every training sample, or drop the prior."
            )
        if dims.fused < 1:
            raise ConfigError("group_invariance: expected a model that reports its fused width (got none).")
        self.groups = dims.groups
        self.index = {group: k for k, group in enumerate(dims.groups)}
        if self.config.method == "erasure":
            self._bind_erasure(len(dims.groups), dims.classes if self.config.within_class else 1, dims.fused)
        elif self.config.method != "dro":  # no unused parameters otherwise (DDP)
            self.adversary = nn.Sequential(
                nn.Linear(dims.fused, self.config.adversary_hidden),
                nn.ReLU(),
                nn.Linear(self.config.adversary_hidden, len(dims.groups)),
            )
        self.register_buffer("group_weight", torch.full((len(dims.groups),), 1.0 / len(dims.groups)))

    def _bind_erasure(self, groups: int, classes: int, width: int) -> None:
        self.classes = classes  # 1: one cell per group, whatever its class
        self.register_buffer("group_mean", torch.zeros(groups * classes, width))
        self.register_buffer("group_count", torch.zeros(groups * classes))
        rank = min(width, classes * (groups - 1))
        self.register_buffer("basis", torch.zeros(width, rank))  # zero columns erase nothing
        self.register_buffer("center", torch.zeros(width))

    def group_codes(self, batch: PriorBatch) -> Tensor:
        """Each sample's index among the training groups, -1 for a group training did not see.

        Shapes:
            -> (b,) int64.
        """
        return self._codes(batch.groups)

    def _codes(self, groups: Sequence[str]) -> Tensor:
        return torch.tensor([self.index.get(g, -1) for g in groups], dtype=torch.long)

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        if site != "fused" or self.config.method != "erasure" or ctx.value is None:
            return None
        labelled = ctx.y is not None or self.classes == 1
        if ctx.training and ctx.groups is not None and labelled and torch.is_grad_enabled():
            codes = self._codes(ctx.groups).to(ctx.value.device)
            if ctx.y is not None and self.classes > 1:
                codes = torch.where(codes >= 0, codes * self.classes + ctx.y, codes)
            self._track(ctx.value.detach(), codes)
        return -((ctx.value - self.center) @ self.basis) @ self.basis.T

    @torch.no_grad()
    def _track(self, fused: Tensor, cells: Tensor) -> None:
        """Moves the running mean of each (group, class) cell toward its samples in the batch,
        then recomputes the directions in which one class's groups differ.

        Shapes:
            fused: (b, d); cells: (b,) group * classes + class, -1 for no training group.
        """
        for cell in torch.unique(cells[cells >= 0]).tolist():
            rows = fused[cells == cell]
            self.group_count[cell] += len(rows)
            share = max(len(rows) / float(self.group_count[cell]), self.config.momentum)
            self.group_mean[cell] += share * (rows.mean(0) - self.group_mean[cell])
        seen = self.group_count > 0
        if int(seen.sum()) < 2:
            return
        gaps = []
        for c in range(self.classes):  # cells of class c: c, c + classes, c + 2 * classes, ...
            means = self.group_mean[c :: self.classes][seen[c :: self.classes]]
            if len(means) >= 2:
                gaps.append(means - means.mean(0))
        if not gaps:
            return
        # new tensors, not in-place: a forward of this step may still hold the old ones for backward
        self.center = self.group_mean[seen].mean(0)
        _, values, rows = torch.linalg.svd(torch.cat(gaps), full_matrices=False)
        rank = min(int((values > 1e-6 * values.max().clamp_min(1e-12)).sum()), self.basis.shape[1])
        basis = torch.zeros_like(self.basis)
        basis[:, :rank] = rows[:rank].T
        self.basis = basis

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
        return [Check(self._rule_metric(), self.config.tolerance, "at_most", enforceable=False)]

    def _rule_metric(self) -> str:
        # erasure within classes promises nothing about what the label itself says of the group
        within = self.config.method == "erasure" and self.config.within_class
        return f"groups.{PROBE_EXCESS_WITHIN if within else PROBE_EXCESS}"

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        """``trained_groups``: the share of the scored samples whose group training saw."""
        return {TRAINED_GROUPS: float((self.group_codes(batch) >= 0).float().mean())}

    def summarise(self, measured: dict[str, float]) -> dict[str, float]:
        """The rule is about the groups the prior was told of: on data where none of them occurs
        (another collection's events, say) it is not measured (n/a), whatever a probe finds."""
        if measured.get(TRAINED_GROUPS) == 0.0:
            return {self._rule_metric(): math.nan}
        return {}
