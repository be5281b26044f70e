"""The spike guard rolls back to the last good weights and lowers the learning rate."""

from __future__ import annotations

import logging

import lightning.pytorch as pl
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from priorkit.training.spike_guard import SpikeGuard, TrainingDivergedError

SPIKE_AT = 25


def bare_trainer(**options: object) -> pl.Trainer:
    """A Lightning trainer on the CPU without logging, checkpoints or progress output."""
    return pl.Trainer(
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        **options,  # type: ignore[arg-type]
    )


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
    trainer = bare_trainer(max_epochs=2, callbacks=[guard])
    with caplog.at_level(logging.WARNING, logger="priorkit.training"):
        trainer.fit(module, data())
    (rollback,) = guard.rollbacks
    assert rollback["restored_step"] == SPIKE_AT  # the snapshot taken after the last good step
    assert trainer.optimizers[0].param_groups[0]["lr"] == 0.025
    assert "loss spike at step" in caplog.text and "lowered the learning rate to 0.025" in caplog.text
    assert torch.isfinite(module.layer.weight).all() and module.layer.weight.abs().max() < 10


def test_without_the_guard_the_spike_wrecks_the_weights() -> None:
    module = Regression()
    trainer = bare_trainer(max_epochs=2, max_steps=SPIKE_AT + 1)
    trainer.fit(module, data())
    assert not torch.isfinite(module.layer.weight).all() or module.layer.weight.abs().max() > 1e3


class NoisyClassifier(pl.LightningModule):
    """Logistic regression on separable data with a few mislabelled points: the loss goes to
    near zero, and the batches holding a mislabelled point stay many times the mean."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 2)

    def training_step(self, batch, batch_index):  # type: ignore[no-untyped-def]
        x, y = batch
        return torch.nn.functional.cross_entropy(self.layer(x), y)

    def configure_optimizers(self):  # type: ignore[no-untyped-def]
        return torch.optim.Adam(self.parameters(), lr=0.05)


def noisy_data() -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(256, 2, generator=generator)
    y = (x[:, 0] > 0).long()
    y[:3] = 1 - y[:3]  # three wrong labels
    x = x + torch.stack([y.float() * 2 - 1, torch.zeros(256)], dim=1)  # a clear margin
    return DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=generator)


def fit_noisy(guard: SpikeGuard) -> tuple[pl.Trainer, list[float]]:
    losses: list[float] = []

    class Record(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):  # type: ignore[no-untyped-def]
            losses.append(float(outputs["loss"]))

    trainer = bare_trainer(max_epochs=40, callbacks=[Record(), guard])
    torch.manual_seed(0)
    trainer.fit(NoisyClassifier(), noisy_data())
    return trainer, losses


def test_a_healthy_run_that_reaches_near_zero_loss_sees_no_rollback() -> None:
    trainer, losses = fit_noisy(SpikeGuard())
    late = losses[-100:]
    mean = sum(late) / len(late)
    assert mean < 0.1  # near zero
    assert max(late) > 5 * mean  # with batches far above the mean: minibatch noise, not divergence
    assert trainer.optimizers[0].param_groups[0]["lr"] == 0.05


def test_without_the_rise_condition_the_same_healthy_run_would_be_cut() -> None:
    """The factor-only rule (the guard before min_rise) fires on that noise."""
    guard = SpikeGuard(min_rise=0.0)
    trainer, _ = fit_noisy(guard)
    assert guard.rollbacks
    assert trainer.optimizers[0].param_groups[0]["lr"] < 0.05


def test_rollbacks_are_capped_so_training_never_freezes(caplog) -> None:  # type: ignore[no-untyped-def]
    guard = SpikeGuard(min_rise=0.0, max_rollbacks=2)
    with caplog.at_level(logging.WARNING, logger="priorkit.training"):
        trainer, _ = fit_noisy(guard)
    assert len(guard.rollbacks) == 2
    assert trainer.optimizers[0].param_groups[0]["lr"] == 0.05 * 0.5**2
    assert "not rolled back: the guard has made its 2 rollbacks" in caplog.text


class Diverging(Regression):
    def training_step(self, batch, batch_index):  # type: ignore[no-untyped-def]
        loss = super().training_step(batch, batch_index)
        return loss * float("nan") if self.global_step >= SPIKE_AT else loss


def test_a_loss_that_stays_non_finite_stops_training_with_a_clear_error() -> None:
    trainer = bare_trainer(max_epochs=5, callbacks=[SpikeGuard(warmup=5, every=1, max_rollbacks=2)])
    with pytest.raises(TrainingDivergedError, match=r"expected a finite loss \(got nan at step \d+, after 2"):
        trainer.fit(Diverging(), data())


class BrokenFromTheStart(Regression):
    """Data that overflow the model: the loss is not finite from the first batch on."""

    def training_step(self, batch, batch_index):  # type: ignore[no-untyped-def]
        return super().training_step(batch, batch_index) * float("inf") * 0.0


def test_a_loss_never_finite_is_rolled_back_to_the_start_then_stops_training() -> None:
    guard = SpikeGuard(warmup=5, every=1, max_rollbacks=2)
    module = BrokenFromTheStart()
    trainer = bare_trainer(max_epochs=5, callbacks=[guard])
    with pytest.raises(TrainingDivergedError, match=r"expected a finite loss \(got nan at step 3, after 2"):
        trainer.fit(module, data())
    assert [r["restored_step"] for r in guard.rollbacks] == [0, 0]  # the weights before any step
    assert trainer.optimizers[0].param_groups[0]["lr"] == 0.05 * 0.5**2  # each rollback lowers it


def test_an_epoch_without_a_finite_loss_stops_training_even_with_rollbacks_left() -> None:
    guard = SpikeGuard(warmup=5, every=1, max_rollbacks=100)
    trainer = bare_trainer(max_epochs=5, callbacks=[guard])
    with pytest.raises(
        TrainingDivergedError, match=r"a finite loss on some batch of epoch 0 \(got none in 16"
    ):
        trainer.fit(BrokenFromTheStart(), data())
    assert len(guard.rollbacks) == 16
