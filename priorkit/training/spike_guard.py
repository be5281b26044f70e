"""``SpikeGuard``: when the training loss jumps far above its recent level, roll back and slow down."""

from __future__ import annotations

import copy
import logging
import math
from collections import deque
from typing import Any

import lightning.pytorch as pl

from priorkit.errors import PriorkitError

log = logging.getLogger("priorkit.training")


class TrainingDivergedError(PriorkitError, RuntimeError):
    """The training loss stayed non-finite after every rollback the guard may make."""


class SpikeGuard(pl.Callback):
    """Keeps the last good weights and optimizer state in memory; on a spike, restores them and
    multiplies every learning rate by ``lr_factor``, and logs what it did.

    A spike is a non-finite loss, or, once ``warmup`` steps have passed, a loss that is both
    above ``factor`` x the mean of the last ``window`` losses and above that mean by at least
    ``min_rise`` x the run's initial loss level (the mean of its first ``warmup`` losses).
    The second condition tells a divergence from minibatch noise: once the loss is near zero,
    one batch at 8x the mean (0.1 against 0.012) is noise, while a diverging model climbs back
    towards (or past) the loss it started with. A snapshot is taken every ``every`` healthy
    steps, and one before the first step, so that a loss that is not finite from the very
    first batch is rolled back too. At most ``max_rollbacks`` rollbacks are made in a run, each
    lowering the learning rate again, so it is never cut below ``lr_factor ** max_rollbacks`` of
    its value: later finite spikes are logged and trained through, and a later non-finite loss
    stops training with :class:`TrainingDivergedError`, as does an epoch without one finite loss.

    Args:
        factor: how many times the recent mean a loss must exceed to be a spike.
        min_rise: how far above the recent mean (in units of the initial loss level) it must be.
        lr_factor: multiplies the learning rates after a rollback.
        max_rollbacks: rollbacks allowed in one run.
        window, warmup, every: see above.
    """

    def __init__(
        self,
        factor: float = 5.0,
        lr_factor: float = 0.5,
        window: int = 20,
        warmup: int = 10,
        every: int = 10,
        min_rise: float = 0.5,
        max_rollbacks: int = 3,
    ) -> None:
        self.factor, self.lr_factor, self.warmup, self.every = factor, lr_factor, warmup, every
        self.min_rise, self.max_rollbacks = min_rise, max_rollbacks
        self.recent: deque[float] = deque(maxlen=window)
        self.first: list[float] = []
        self.snapshot: dict[str, Any] | None = None
        self.snapshot_step = 0
        self.rollbacks: list[dict[str, float]] = []

    @property
    def initial_level(self) -> float | None:
        """Mean of the run's first ``warmup`` finite losses (None before there are that many)."""
        return sum(self.first) / len(self.first) if len(self.first) >= self.warmup else None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """The weights before any step: what a non-finite first loss is rolled back to."""
        if self.snapshot is None:
            self.take_snapshot(trainer, pl_module, trainer.global_step)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        value = float(loss.detach()) if loss is not None else float("nan")
        step = trainer.global_step
        if self.is_spike(value):
            if len(self.rollbacks) < self.max_rollbacks:
                self.roll_back(trainer, pl_module, value, step)
                return
            self.give_up(value, step)
        if not math.isfinite(value):
            return
        self.recent.append(value)
        if len(self.first) < self.warmup:
            self.first.append(value)
        if self.snapshot is None or step - self.snapshot_step >= self.every:
            self.take_snapshot(trainer, pl_module, step)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """A whole epoch without one finite loss trained nothing (every step was rolled back):
        stop rather than hand on the starting weights as a trained model."""
        if not self.first:
            raise TrainingDivergedError(
                f"training: expected a finite loss on some batch of epoch {trainer.current_epoch} "
                f"(got none in {trainer.num_training_batches} batches; every step was rolled "
                "back). Check the data for extreme feature values (scale or log-transform large "
                "ones), lower train.learning_rate, or lower the priors' weights."
            )

    def is_spike(self, value: float) -> bool:
        if not math.isfinite(value):
            return True
        level = self.initial_level
        if len(self.recent) < self.warmup or level is None:
            return False
        mean = sum(self.recent) / len(self.recent)
        return value > self.factor * mean and value - mean > self.min_rise * level

    def give_up(self, value: float, step: int) -> None:
        """After ``max_rollbacks``: stop on a non-finite loss, train through a finite spike."""
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"training: expected a finite loss (got {value} at step {step}, after "
                f"{len(self.rollbacks)} rollbacks with lowered learning rates). Lower "
                "train.learning_rate, check the data for extreme feature values, or reduce the "
                "priors' weights."
            )
        log.warning(
            "loss spike at step %d (loss %.4g) not rolled back: the guard has made its %d rollbacks",
            step,
            value,
            self.max_rollbacks,
        )

    def take_snapshot(self, trainer: pl.Trainer, pl_module: pl.LightningModule, step: int) -> None:
        self.snapshot = {
            "model": copy.deepcopy(pl_module.state_dict()),
            "optimizers": [copy.deepcopy(o.state_dict()) for o in trainer.optimizers],
        }
        self.snapshot_step = step

    def roll_back(self, trainer: pl.Trainer, pl_module: pl.LightningModule, value: float, step: int) -> None:
        if self.snapshot is None:  # taken when training starts
            raise RuntimeError("SpikeGuard.roll_back: no snapshot to restore")
        recent = sum(self.recent) / max(len(self.recent), 1)
        pl_module.load_state_dict(self.snapshot["model"])
        for optimizer, state in zip(trainer.optimizers, self.snapshot["optimizers"], strict=True):
            before = [group["lr"] for group in optimizer.param_groups]  # lowered by earlier rollbacks
            optimizer.load_state_dict(state)
            for group, lr in zip(optimizer.param_groups, before, strict=True):
                group["lr"] = lr * self.lr_factor
        lrs = [g["lr"] for o in trainer.optimizers for g in o.param_groups]
        self.rollbacks.append(
            {"step": step, "loss": value, "recent_mean": recent, "restored_step": self.snapshot_step}
        )
        level = self.initial_level
        log.warning(
            "loss spike at step %d: loss %.4g vs %s; rolled back to the weights of step %d and "
            "lowered the learning rate to %s",
            step,
            value,
            f"recent mean {recent:.4g} (initial level {level or float('nan'):.4g})"
            if self.recent
            else "no finite loss yet",
            self.snapshot_step,
            ", ".join(f"{lr:.3g}" for lr in lrs),
        )

    def state_dict(self) -> dict[str, Any]:
        return {"rollbacks": list(self.rollbacks), "first": list(self.first)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rollbacks = list(state_dict.get("rollbacks", []))
        self.first = list(state_dict.get("first", []))
