import io

import torch

from priorkit.model import ModelConfig, PriorModel
from priorkit.training.config import TrainConfig
from priorkit.training.module import PriorModule


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
