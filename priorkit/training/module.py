"""``PriorModule``: the Lightning wrapper of a :class:`PriorModel` (loss, metrics, optimizers)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import partial
from typing import Any

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score
from torch import Tensor, nn

from priorkit.data.batch import PriorBatch
from priorkit.model import PriorModel
from priorkit.outputs import PriorModelOutput
from priorkit.runs.config import TrainConfig
from priorkit.training.spike_guard import TrainingDivergedError

FEASIBILITY_WEIGHT = 1.0


class PriorModule(pl.LightningModule):
    """Sums the task loss and every prior loss; logs ``train/loss``, ``val/loss``,
    ``val/accuracy``, ``val/macro_f1``, each loss term and each enforcement multiplier
    (``multiplier/<prior>/<metric>``).

    Checkpoints are selected (and training stopped early) on ``val/monitor``: the configured
    ``monitor``, worsened by ``FEASIBILITY_WEIGHT`` times ``val/violation``, the largest
    violation of an enforced rule on the validation data (0 when every rule holds). An epoch
    that keeps the priors' rules is thus preferred to one that scores better by breaking them
    (in-distribution validation data reward a shortcut the priors exist to refuse).

    Args:
        model: the model.
        train: optimisation settings.
    """

    def __init__(self, model: PriorModel, train: TrainConfig) -> None:
        super().__init__()
        self.model = model
        self.train_config = train
        self._val_true: list[Tensor] = []
        self._val_logits: list[Tensor] = []
        self._val_loss: list[Tensor] = []
        self._val_violations: dict[str, list[Tensor]] = {}
        self._val_text: list[Tensor] = []  # for priors that remember texts (text_neighbours)
        self.generator = torch.Generator().manual_seed(train.seed)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # the augmentations' random stream, so that a resumed run draws what it would have drawn
        checkpoint["augment_generator"] = self.generator.get_state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "augment_generator" in checkpoint:
            self.generator.set_state(checkpoint["augment_generator"])

    def forward(self, batch: PriorBatch) -> PriorModelOutput:
        return self.model(batch)

    def training_step(self, batch: PriorBatch, batch_index: int) -> Tensor:
        batch = self.model.priors.augment(batch, self.generator)
        out = self.model(batch)
        losses = {**out.losses, **self._smoothed(out.logits, batch), **self._penalties()}
        loss = torch.stack(list(losses.values())).sum()
        if self.train_config.spike_factor == 0 and not bool(torch.isfinite(loss)):
            bad = ", ".join(k for k, v in losses.items() if not bool(torch.isfinite(v)))
            raise TrainingDivergedError(
                f"training loss: expected a finite value (got {float(loss)} at epoch {self.current_epoch}, "
                f"batch {batch_index}, from {bad}). The spike guard is off (train.spike_factor 0): turn it "
                "on to roll back, or lower train.learning_rate; check the data for extreme values."
            )
        size = batch.num_graphs
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=size)
        for key, value in losses.items():
            self.log(f"train/{key}", value, on_step=False, on_epoch=True, batch_size=size)
        return loss

    def _smoothed(self, logits: Tensor, batch: PriorBatch) -> dict[str, Tensor]:
        """The task loss against smoothed targets (``train.label_smoothing``), in place of the
        model's own, in training only."""
        smoothing = self.train_config.label_smoothing
        if not smoothing or batch.y is None:
            return {}
        return {"task": F.cross_entropy(logits, batch.y, label_smoothing=smoothing)}

    def _penalties(self) -> dict[str, Tensor]:
        """Training-only terms on the weights themselves: the text encoder's L2-SP pull."""
        text = self.model.text_encoder
        penalty = None if text is None else text.penalty()
        return {} if penalty is None else {"text_l2_sp": penalty}

    def validation_step(self, batch: PriorBatch, batch_index: int) -> None:
        with self.model.priors.validating():  # the network's own predictions are scored
            out = self.model(batch)
        if self.model.priors.remembers and batch.text_embedding is not None:
            self._val_text.append(batch.text_embedding.detach().cpu())
        loss = torch.stack(list(out.losses.values())).sum()
        self._val_true.append(batch.y.detach().cpu())  # type: ignore[union-attr]
        self._val_logits.append(out.logits.detach().float().cpu())
        self._val_loss.append(loss.detach().cpu().expand(batch.num_graphs))
        for key, value in out.violations.items():
            self._val_violations.setdefault(key, []).append(value.detach().cpu().expand(batch.num_graphs))

    def on_validation_epoch_end(self) -> None:
        # each enforced rule's multiplier as training left it (a column of history.csv)
        for key, value in self.model.priors.multipliers().items():
            self.log(f"multiplier/{key}", value)
        if not self._val_true:
            return
        true, logits = torch.cat(self._val_true), torch.cat(self._val_logits)
        pred = logits.argmax(-1)
        # priors that calibrate on validation data (label_shift) do it on every validation pass,
        # so that each checkpoint carries the calibration of its own weights
        self.model.priors.calibrate(logits, true)
        if self._val_text:  # and those that remember texts choose how to use them here
            self.model.priors.remember("val", torch.cat(self._val_text), true, logits)
        scores = {
            "val/loss": float(torch.cat(self._val_loss).mean()),
            "val/accuracy": float((true == pred).float().mean()),
            "val/macro_f1": float(f1_score(true.numpy(), pred.numpy(), average="macro", zero_division=0)),
        }
        worst = max((float(torch.cat(v).mean()) for v in self._val_violations.values()), default=0.0)
        violation = max(worst, 0.0)
        self._val_true, self._val_logits, self._val_loss, self._val_violations = [], [], [], {}
        self._val_text = []
        # under DDP each process scores its shard; sync_dist averages the shards' values
        self.log("val/loss", scores["val/loss"], prog_bar=True, sync_dist=True)
        self.log("val/accuracy", scores["val/accuracy"], prog_bar=True, sync_dist=True)
        self.log("val/macro_f1", scores["val/macro_f1"], sync_dist=True)
        if self.model.priors.multipliers():
            self.log("val/violation", violation, sync_dist=True)
        monitor = self.train_config.monitor
        sign = 1.0 if monitor == "val/loss" else -1.0
        self.log("val/monitor", scores[monitor] + sign * FEASIBILITY_WEIGHT * violation, sync_dist=True)

    def configure_optimizers(self) -> dict[str, Any]:
        c = self.train_config
        text = self.model.text_encoder
        text_groups = text.parameter_groups(c.learning_rate) if text is not None else []
        taken = {id(p) for g in text_groups for p in g["params"]}
        tables = [
            m.weight
            for m in self.model.modules()
            if isinstance(m, nn.Embedding) and m.weight.requires_grad and id(m.weight) not in taken
        ]
        taken |= {id(p) for p in tables}
        rest = [p for p in self.model.parameters() if p.requires_grad and id(p) not in taken]
        embedding_lr = c.embedding_learning_rate or c.learning_rate
        groups = [
            {"params": rest, "name": "model"},
            {"params": tables, "name": "embeddings", "lr": embedding_lr, "weight_decay": 0.0},
            *text_groups,
        ]
        optimizer = torch.optim.AdamW(
            groups, lr=c.learning_rate, weight_decay=c.weight_decay, fused=fusable(self.model.parameters())
        )
        if c.lr_schedule == "cosine":
            total = max(int(self.trainer.estimated_stepping_batches), 1)
            warmup = min(int(c.warmup_epochs * total / c.epochs), total - 1)
            schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, partial(cosine_factor, warmup, total))
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=c.lr_factor, patience=c.lr_patience
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": "val/loss"}}


FUSED_DEVICES = frozenset({"cpu", "cuda"})
"""Devices where AdamW runs as one fused kernel over all parameters (on CPU about 5x faster a
step than its loop over tensors); elsewhere it runs its default implementation."""


def fusable(parameters: Iterable[Tensor]) -> bool:
    """Whether AdamW can update ``parameters`` with its fused kernel: all floating point, on one
    device of :data:`FUSED_DEVICES`."""
    params = [p for p in parameters if p.requires_grad]
    devices = {p.device for p in params}
    return (
        len(devices) == 1
        and next(iter(devices)).type in FUSED_DEVICES
        and all(p.is_floating_point() for p in params)
    )


def cosine_factor(warmup: int, total: int, step: int) -> float:
    """The learning-rate multiplier at ``step``: linear from 0 over ``warmup`` steps, then a
    cosine from 1 down to 0 at step ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min((step - warmup) / max(total - warmup, 1), 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * progress))
