"""``Prior``: the one extension point. A prior overrides any of these hooks; each does nothing by default.

- ``augment(batch, generator)``: training batches, before the forward; returns a new batch
  (the input is never mutated).
- ``bias(site, ctx)``: every forward, at each site of :mod:`priorkit.sites`; returns an
  additive term or None.
- ``loss(outputs, batch)``: every training forward; returns ``{key: scalar}``, namespaced and
  weighted by the stack.
- ``measure(outputs, batch)``: evaluation; returns ``{metric: value}`` (means over the batch).
- ``checks()``: the rules that say whether the model followed the prior (compliance).
- ``estimates(outputs, batch)``: training batches, when the prior enforces its rules
  (:mod:`priorkit.priors.enforce`): ``{metric of a check: estimate}``; a differentiable
  estimate becomes a Lagrangian loss term, a detached one only moves the rule's multiplier.
- ``bind(dims)``: once, when the model is built; priors with parameters sized by the model
  create them here.
- ``calibrate(logits, y)``: after every validation pass, with the network's own logits and the
  labels of the validation data (state kept in buffers travels with the checkpoint).
- ``adapt(logits)``: before a set of samples is scored (evaluation, prediction), with the
  network's own logits on the whole set; ``adapt(None)`` afterwards. Only for priors whose
  ``adapts`` is True (it costs a pass over the data).
- ``remember(part, text, y, logits)``: only for priors whose ``remembers`` is True, with the
  frozen text embeddings and labels of the training samples before training (``part`` is
  ``train``) and of the validation samples, with the network's logits on them, after every
  validation pass (``val``). While training validates, ``validating`` is True: a prior that
  changes the model's use-time predictions leaves the network's own to be scored.
- ``summarise(measured)``: after evaluation, set-level metrics from the batch means of
  ``measure`` (``measure`` averages over batches; a gap between two means does not).

Every prior has a validated config (``Config``, a pydantic model with ``name`` and ``weight``);
a config file's ``priors:`` entry is that config, and ``RunConfig.priors`` holds it typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import torch
from pydantic import Field
from torch import Tensor, nn

from priorkit.config import Settings
from priorkit.errors import ConfigError
from priorkit.priors.check import Check
from priorkit.registry import Registry
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput


MAX_STRENGTH = 1e6
"""The largest weight, decay or step a prior takes: far beyond any useful setting, and far
enough inside float32 that the losses and biases it scales stay finite numbers."""
MAX_DEPTH = 1024
"""The deepest tree level a prior's setting may name (a bias table is sized by it)."""
MIN_TEMPERATURE = 1e-4
"""The smallest temperature a prior divides by (a smaller one overflows its softmax)."""


class PriorConfig(Settings):
    """Arguments every prior has. A prior's own ``Config`` subclasses it and names the prior
    (``name: Literal["depth_decay"] = "depth_decay"``), so that a typed config builds its prior.

    Args:
        name: the registered name of the prior.
        weight: scales every loss the prior returns.
    """

    name: str = ""
    weight: float = Field(1.0, ge=0.0, le=MAX_STRENGTH)

    def build(self) -> Prior:
        """The prior these arguments configure (a fresh module)."""
        if not self.name:
            raise ConfigError(
                f"{type(self).__name__}: expected the name of its prior (got none). Give the class "
                "a field name: Literal['my_prior'] = 'my_prior', or build it from a mapping with `name`."
            )
        return PRIORS.get(self.name)(self)


@dataclass(frozen=True)
class ModelDims:
    """Widths of the model a prior is bound to.

    Args:
        text: text vector t; graph: graph vector and node states d; heads: tree attention
        heads; classes: output classes; labels: the class names in output order (empty when
        the model was built without them); fused: width of the fused vector the head reads (0:
        not given); groups: the groups of the training samples (their ``group`` field), sorted;
        class_mix: the share of each class among the training samples (empty: not known);
        ungrouped: the ids of the training samples without a group when others have one;
        pairs: how many training samples are counterfactuals of another one (-1: not known);
        unpaired: the ids of the training samples whose ``counterfactual_of`` names no training
            sample; important: how many training samples mark some node important (-1: not known).
    """

    text: int
    graph: int
    heads: int
    classes: int
    labels: tuple[str, ...] = ()
    fused: int = 0
    groups: tuple[str, ...] = ()
    class_mix: tuple[float, ...] = ()
    ungrouped: tuple[str, ...] = ()
    pairs: int = -1
    important: int = -1
    unpaired: tuple[str, ...] = ()


class Prior(nn.Module):
    """Base class of priors.

    Args:
        config: the prior's arguments (its ``Config``); defaults when omitted.
    """

    name: ClassVar[str] = "prior"
    Config: ClassVar[type[PriorConfig]] = PriorConfig
    adapts: ClassVar[bool] = False
    """Whether the prior adapts to each set of samples it scores (see ``adapt``)."""
    remembers: ClassVar[bool] = False
    """Whether the prior keeps the training and validation texts (see ``remember``)."""

    def __init__(self, config: PriorConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else self.Config()
        self.validating = False  # set while training scores its validation data
        # one enforcement multiplier per rule (see priorkit.priors.enforce); saved with the model
        self.register_buffer("multipliers", torch.ones(len(self.checks())))

    @property
    def enforcing(self) -> bool:
        """Whether the prior's rules are constraints of training (its ``enforce`` argument)."""
        return bool(getattr(self.config, "enforce", False)) and len(self.checks()) > 0

    def multiplier(self, metric: str) -> Tensor:
        """The enforcement multiplier of the rule on ``metric`` (1 before training)."""
        names = [check.metric for check in self.checks()]
        return self.multipliers[names.index(metric)]

    def bind(self, dims: ModelDims) -> None:
        return None

    def augment(self, batch: PriorBatch, generator: torch.Generator) -> PriorBatch:
        return batch

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        return None

    def loss(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        return {}

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        return {}

    def estimates(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        return {}

    def checks(self) -> list[Check]:
        return []

    def calibrate(self, logits: Tensor, y: Tensor) -> None:
        return None

    def adapt(self, logits: Tensor | None) -> None:
        return None

    def remember(self, part: str, text: Tensor, y: Tensor, logits: Tensor | None = None) -> None:
        return None

    def summarise(self, measured: dict[str, float]) -> dict[str, float]:
        return {}


PRIORS: Registry[type[Prior]] = Registry("prior", group="priorkit.priors")
