"""``PriorStack``: the priors of a model, combined: augmentations chained, biases summed,
losses namespaced and weighted, measurements merged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from priorkit.priors.base import ModelDims, Prior
from priorkit.priors.enforce import step_multiplier
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput


class PriorStack(nn.Module):
    """Holds priors in config order; an empty stack changes nothing.

    Keys are namespaced by prior: ``depth_decay/kl``; when a name occurs more than once the
    namespaces are numbered in config order (``depth_decay_1``, ``depth_decay_2``).

    Args:
        priors: the priors.
    """

    def __init__(self, priors: Iterable[Prior] = ()) -> None:
        super().__init__()
        self.priors = nn.ModuleList(priors)

    def __len__(self) -> int:
        return len(self.priors)

    def labels(self) -> list[str]:
        """The namespace of each prior, in order."""
        counts = Counter(p.name for p in self.priors)
        seen: Counter[str] = Counter()
        out = []
        for prior in self.priors:
            seen[prior.name] += 1
            out.append(prior.name if counts[prior.name] == 1 else f"{prior.name}_{seen[prior.name]}")
        return out

    def named(self) -> list[tuple[str, Prior]]:
        return list(zip(self.labels(), self.priors, strict=True))  # type: ignore[arg-type]

    def bind(self, dims: ModelDims) -> None:
        for prior in self.priors:
            prior.bind(dims)

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
        """Every prior's losses (weighted), plus the Lagrangian terms of enforced rules
        (``label/enforce.metric``); in training, each enforced rule's multiplier then moves
        with its violation on this batch."""
        out = {
            f"{label}/{key}": prior.config.weight * value
            for label, prior in self.named()
            for key, value in prior.loss(outputs, batch).items()
        }
        for label, prior in self.named():
            if prior.enforcing:
                out.update(self._enforce(label, prior, outputs, batch))
        return out

    def _enforce(
        self, label: str, prior: Prior, outputs: PriorModelOutput, batch: PriorBatch
    ) -> dict[str, Tensor]:
        """Lagrangian terms of the prior's rules; records each violation in ``outputs``."""
        checks = prior.checks()
        position = {check.metric: k for k, check in enumerate(checks)}
        terms, multipliers = {}, prior.multipliers.clone()
        for metric, estimate in prior.estimates(outputs, batch).items():
            k = position[metric]
            violation = checks[k].violation(estimate)
            outputs.violations[f"{label}/{metric}"] = violation.detach()
            if estimate.requires_grad:
                terms[f"{label}/enforce.{metric}"] = prior.multipliers[k].clone() * violation
            if self.training:
                multipliers[k] = step_multiplier(multipliers[k], violation, prior.config.enforce_rate)  # type: ignore[attr-defined]
        prior.multipliers = multipliers  # out of place: the terms above keep the values they used
        return terms

    def multipliers(self) -> dict[str, float]:
        """``label/metric`` -> multiplier, for every enforced rule."""
        return {
            f"{label}/{check.metric}": float(prior.multipliers[k])
            for label, prior in self.named()
            if prior.enforcing
            for k, check in enumerate(prior.checks())
            if check.enforceable
        }

    @property
    def adapts(self) -> bool:
        """Whether a prior of the stack adapts to the samples it scores."""
        return any(prior.adapts for prior in self.priors)

    def calibrate(self, logits: Tensor, y: Tensor) -> None:
        """Every prior's calibration on validation logits (b, c) and labels (b,)."""
        for prior in self.priors:
            prior.calibrate(logits, y)

    def remembering(self) -> list[str]:
        """The namespaces of the priors that keep the training and validation texts."""
        return [label for label, prior in self.named() if prior.remembers]

    @property
    def remembers(self) -> bool:
        """Whether a prior of the stack keeps the training and validation texts."""
        return any(prior.remembers for prior in self.priors)

    def remember(self, part: str, text: Tensor, y: Tensor, logits: Tensor | None = None) -> None:
        """Every remembering prior's memory: ``part`` ``train`` (texts (p, t), labels (p,)) or
        ``val`` (with the network's logits (v, c) on them)."""
        for prior in self.priors:
            if prior.remembers:
                prior.remember(part, text, y, logits)

    @contextmanager
    def validating(self) -> Iterator[None]:
        """Inside, every prior knows that training is scoring its validation data."""
        for prior in self.priors:
            prior.validating = True
        try:
            yield
        finally:
            for prior in self.priors:
                prior.validating = False

    def adapt(self, logits: Tensor | None) -> None:
        """Adapt every prior to a scored set (its raw logits, (N, c)); None: forget it."""
        for prior in self.priors:
            prior.adapt(logits)

    def summarise(self, measured: dict[str, float]) -> dict[str, float]:
        """Each prior's set-level metrics from the batch means ``measured`` (``label/metric``)."""
        out = {}
        for label, prior in self.named():
            own = {k.removeprefix(f"{label}/"): v for k, v in measured.items() if k.startswith(f"{label}/")}
            out.update({f"{label}/{key}": value for key, value in prior.summarise(own).items()})
        return out

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        return {
            f"{label}/{key}": value
            for label, prior in self.named()
            for key, value in prior.measure(outputs, batch).items()
        }
