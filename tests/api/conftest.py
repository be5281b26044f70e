"""The tiny-encoder training config of the training tests, and one small trained model, shared here."""

from __future__ import annotations

from pathlib import Path

import pytest

import priorkit as pk
from tests.training.conftest import config_file

__all__ = ["config_file", "decay_model"]


@pytest.fixture(scope="module")
def decay_model(
    tmp_path_factory: pytest.TempPathFactory, small_data: Path, tiny_model_dir: Path
) -> pk.TrainedModel:
    """One epoch of a depth_decay model on the small synthetic data, trained once per module."""
    out = tmp_path_factory.mktemp("decay")
    config = {
        "model": {"text_encoder": str(tiny_model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "priors": [{"name": "depth_decay"}],
        "train": {"epochs": 1, "batch_size": 16, "cache_dir": str(out / "cache"), "progress_bar": False},
    }
    data = {
        n: small_data / f"{f}.jsonl" for n, f in [("train", "train"), ("val", "val"), ("test", "test_id")]
    }
    return pk.fit(config, data=data, out=out / "run")
