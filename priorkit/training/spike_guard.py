"""``SpikeGuard``: when the training loss jumps far above its recent level, roll back and slow down."""

from __future__ import annotations

import copy
import logging
import math
from collections import deque
from typing import Any

import lightning.pytorch as pl

log = logging.getLogger("priorkit.training")


class SpikeGuard(pl.Callback):
    """Keeps the last good weights and optimizer state in memory; on a spike, restores them and
    multiplies every learning rate by ``lr_factor``, and logs what it did.

    A spike is a finite loss above ``factor`` x the mean of the last ``window`` losses, or a
    non-finite loss, once ``warmup`` steps have passed. A snapshot is taken every
    ``every`` healthy steps.

    Args:
        factor: how far above the recent mean a loss must be to count as a spike.
        lr_factor: multiplies the learning rates after a rollback.
        window, warmup, every: see above.
    """

    def __init__(
        self, factor: float = 5.0, lr_factor: float = 0.5, window: int = 20, warmup: int = 10, every: int = 10
    ) -> None:
        self.factor, self.lr_factor, self.warmup, self.every = factor, lr_factor, warmup, every
        self.recent: deque[float] = deque(maxlen=window)
        self.snapshot: dict[str, Any] | None = None
        self.snapshot_step = 0
        self.rollbacks: list[dict[str, float]] = []

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        value = float(loss.detach()) if loss is not None else float("nan")
        step = trainer.global_step
        if self.is_spike(value):
            self.roll_back(trainer, pl_module, value, step)
            return
        self.recent.append(value)
        if self.snapshot is None or step - self.snapshot_step >= self.every:
            self.take_snapshot(trainer, pl_module, step)

    def is_spike(self, value: float) -> bool:
        if not math.isfinite(value):
            return self.snapshot is not None
        if len(self.recent) < self.warmup:
            return False
        return value > self.factor * (sum(self.recent) / len(self.recent))

    def take_snapshot(self, trainer: pl.Trainer, pl_module: pl.LightningModule, step: int) -> None:
        self.snapshot = {
            "model": copy.deepcopy(pl_module.state_dict()),
            "optimizers": [copy.deepcopy(o.state_dict()) for o in trainer.optimizers],
        }
        self.snapshot_step = step

    def roll_back(self, trainer: pl.Trainer, pl_module: pl.LightningModule, value: float, step: int) -> None:
        assert self.snapshot is not None  # is_spike needs a snapshot or a warm window, which implies one
        recent = sum(self.recent) / max(len(self.recent), 1)
        pl_module.load_state_dict(self.snapshot["model"])
        for optimizer, state in zip(trainer.optimizers, self.snapshot["optimizers"], strict=True):
            optimizer.load_state_dict(state)
            for group in optimizer.param_groups:
                group["lr"] *= self.lr_factor
        lrs = [g["lr"] for o in trainer.optimizers for g in o.param_groups]
        self.rollbacks.append(
            {"step": step, "loss": value, "recent_mean": recent, "restored_step": self.snapshot_step}
        )
        log.warning(
            "loss spike at step %d: loss %.4g vs recent mean %.4g; rolled back to the weights of step %d "
            "and lowered the learning rate to %s",
            step,
            value,
            recent,
            self.snapshot_step,
            ", ".join(f"{lr:.3g}" for lr in lrs),
        )

    def state_dict(self) -> dict[str, Any]:
        return {"rollbacks": list(self.rollbacks)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rollbacks = list(state_dict.get("rollbacks", []))
