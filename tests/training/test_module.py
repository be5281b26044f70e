import io
from itertools import pairwise

import pytest
import torch

from priorkit.data.batch import collate
from priorkit.model import ModelConfig, PriorModel
from priorkit.runs.config import TrainConfig
from priorkit.training.module import PriorModule, cosine_factor, fusable
from tests.priors.conftest import tiny_graphs, tiny_model


def module(seed: int) -> PriorModule:
    config = ModelConfig(hidden=8, tree={"hidden": 8, "heads": 2})
    return PriorModule(PriorModel(config, num_features=2, num_classes=2, text_dim=4), TrainConfig(seed=seed))


def test_the_augmentation_stream_travels_with_the_checkpoint() -> None:
    trained = module(seed=3)
    torch.rand(5, generator=trained.generator)  # some batches were augmented
    checkpoint: dict[str, object] = {}
    trained.on_save_checkpoint(checkpoint)
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    buffer.seek(0)
    resumed = module(seed=3)
    resumed.on_load_checkpoint(torch.load(buffer, weights_only=True))
    assert torch.equal(torch.rand(4, generator=resumed.generator), torch.rand(4, generator=trained.generator))


def test_cosine_factor_warms_up_then_decays_to_zero() -> None:
    factors = [cosine_factor(2, 10, step) for step in range(12)]
    assert factors[:3] == [0.5, 1.0, 1.0]
    assert all(a >= b for a, b in pairwise(factors[2:]))
    assert abs(factors[6] - 0.5) < 1e-9 and factors[10] == factors[11] == 0.0
    assert cosine_factor(0, 4, 0) == 1.0


def test_adamw_runs_fused_on_cpu() -> None:
    optimizer = module(seed=0).configure_optimizers()["optimizer"]
    assert isinstance(optimizer, torch.optim.AdamW) and optimizer.defaults["fused"] is True


def test_fused_only_where_its_kernel_serves_every_parameter() -> None:
    assert fusable([torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3, 2))])
    assert not fusable([torch.nn.Parameter(torch.zeros(2, device="meta"))])
    assert not fusable([torch.nn.Parameter(torch.zeros(2, dtype=torch.complex64))])
    # frozen parameters are not updated, so they do not count
    assert fusable([torch.nn.Parameter(torch.zeros(2)), torch.zeros(2, device="meta")])


def test_fused_and_looped_adamw_take_the_same_steps() -> None:
    torch.manual_seed(0)
    start = [torch.randn(5, 3), torch.randn(7)]
    grads = [[torch.randn_like(t) for t in start] for _ in range(3)]
    finals = []
    for fused in (True, False):
        params = [torch.nn.Parameter(t.clone()) for t in start]
        optimizer = torch.optim.AdamW(params, lr=0.01, weight_decay=0.1, fused=fused)
        for step in grads:
            for p, g in zip(params, step, strict=True):
                p.grad = g.clone()
            optimizer.step()
        finals.append(params)
    for a, b, first in zip(*finals, start, strict=True):
        assert torch.allclose(a, b, atol=1e-6) and not torch.allclose(a, first, atol=1e-3)


def smoothed_loss(logits: torch.Tensor, y: torch.Tensor, smoothing: float) -> torch.Tensor:
    """Cross-entropy against (1 - s) * one-hot + s / c, written out."""
    log_p = torch.log_softmax(logits, -1)
    target = torch.full_like(log_p, smoothing / logits.size(-1))
    target[torch.arange(len(y)), y] += 1.0 - smoothing
    return -(target * log_p).sum(-1).mean()


@pytest.mark.filterwarnings("ignore:You are trying to `self.log\\(\\)`")  # a step outside a trainer
def test_label_smoothing_replaces_the_training_task_loss_only() -> None:
    batch = collate(tiny_graphs())
    losses = {}
    for smoothing in (0.0, 0.3):
        model = tiny_model()
        model.eval()  # no dropout: the two steps see the same logits
        step = PriorModule(model, TrainConfig(label_smoothing=smoothing))
        losses[smoothing] = step.training_step(batch, 0)
        logits = model(batch).logits
    assert batch.y is not None
    assert torch.allclose(losses[0.0], torch.nn.functional.cross_entropy(logits, batch.y))
    assert torch.allclose(losses[0.3], smoothed_loss(logits, batch.y, 0.3))
    assert not torch.allclose(losses[0.0], losses[0.3])
    # the model's own task loss (validation, test) stays against the label alone
    assert torch.allclose(model(batch).losses["task"], losses[0.0])
