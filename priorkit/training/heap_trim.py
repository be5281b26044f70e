"""``HeapTrim``: the training loop's call to :func:`~priorkit.heap.trim`.

Kept apart from :mod:`priorkit.heap` so that prediction, which trims after each pass,
does not import Lightning.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl

import priorkit.heap as heap


class HeapTrim(pl.Callback):
    """Trim the C heap (:func:`~priorkit.heap.trim`) after every ``every`` training steps
    and after each validation pass, so that resident memory does not climb with the heap's holes."""

    def __init__(self, every: int) -> None:
        if every < 1:
            raise ValueError(f"HeapTrim: every must be >= 1 step, got {every}")
        self.every = every
        self.calls = 0

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step % self.every == 0:  # the step just taken is counted
            self._trim()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._trim()

    def _trim(self) -> None:
        self.calls += 1
        heap.trim()
