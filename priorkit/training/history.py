"""``EpochHistory``: one row of metrics per epoch, kept in checkpoints and written as CSV."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from priorkit.atomic import atomic_write


class EpochHistory(pl.Callback):
    """Appends the epoch's logged metrics, learning rate and wall times (``train_seconds``: the
    training pass; ``epoch_seconds``: with validation) to ``history.csv`` in the run directory.
    Its rows travel in the checkpoint, so a resumed run keeps its whole history.

    Args:
        path: the CSV file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.rows: list[dict[str, float]] = []
        self.started = self.trained = 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.started = self.trained = time.perf_counter()

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self.trained = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # runs after the epoch's validation and before the checkpoint callbacks (Lightning runs
        # those last), so the row is complete and travels in the epoch's checkpoint
        now = time.perf_counter()
        row: dict[str, float] = {"epoch": float(trainer.current_epoch), "step": float(trainer.global_step)}
        # wall time of the training pass (to the start of validation) and of the whole epoch
        row["train_seconds"] = (self.trained if self.trained > self.started else now) - self.started
        row["epoch_seconds"] = now - self.started
        row.update({k: float(v) for k, v in trainer.callback_metrics.items() if "/" in k})
        row["lr"] = float(trainer.optimizers[0].param_groups[0]["lr"])
        self.rows = [r for r in self.rows if r["epoch"] != row["epoch"]] + [row]
        self.write()

    def write(self) -> None:
        keys = sorted({k for row in self.rows for k in row}, key=lambda k: (k not in ("epoch", "step"), k))
        with atomic_write(self.path) as handle:
            writer = csv.DictWriter(handle, fieldnames=keys)
            writer.writeheader()
            writer.writerows(self.rows)

    def state_dict(self) -> dict[str, Any]:
        return {"rows": [dict(r) for r in self.rows]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rows = [dict(r) for r in state_dict.get("rows", [])]
