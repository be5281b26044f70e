"""The spike guard rolls back to the last good weights and lowers the learning rate."""

from __future__ import annotations

import logging

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from priorkit.training.spike_guard import SpikeGuard

SPIKE_AT = 25


class Regression(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)

    def training_step(self, batch, batch_index):  # type: ignore[no-untyped-def]
        x, y = batch
        if self.global_step == SPIKE_AT:  # a corrupted batch: a huge loss and a huge update
            y = y * 1e4
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self):  # type: ignore[no-untyped-def]
        return torch.optim.SGD(self.parameters(), lr=0.05)


def data() -> DataLoader:
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    return DataLoader(TensorDataset(x, x @ torch.tensor([[1.0], [-2.0], [0.5]])), batch_size=4)


def test_spike_is_rolled_back_and_the_learning_rate_lowered(caplog) -> None:  # type: ignore[no-untyped-def]
    guard = SpikeGuard(factor=5.0, lr_factor=0.5, warmup=5, every=1)
    module = Regression()
    trainer = pl.Trainer(
        max_epochs=2,
        callbacks=[guard],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    with caplog.at_level(logging.WARNING, logger="priorkit.training"):
        trainer.fit(module, data())
    (rollback,) = guard.rollbacks
    assert rollback["restored_step"] == SPIKE_AT  # the snapshot taken after the last good step
    assert trainer.optimizers[0].param_groups[0]["lr"] == 0.025
    assert "loss spike at step" in caplog.text and "lowered the learning rate to 0.025" in caplog.text
    assert torch.isfinite(module.layer.weight).all() and module.layer.weight.abs().max() < 10


def test_without_the_guard_the_spike_wrecks_the_weights() -> None:
    module = Regression()
    trainer = pl.Trainer(
        max_epochs=2,
        max_steps=SPIKE_AT + 1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(module, data())
    assert not torch.isfinite(module.layer.weight).all() or module.layer.weight.abs().max() > 1e3
