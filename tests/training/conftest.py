"""A small synthetic dataset and a training config that uses the tiny offline encoder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from priorkit.data.synth import SynthConfig, write_synthetic


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    write_synthetic(folder, SynthConfig(n_train=48, n_val=16, n_test=24, max_nodes=12, seed=5))
    return folder


@pytest.fixture
def config_file(tmp_path: Path, small_data: Path, tiny_model_dir: Path) -> Path:
    config = {
        "data": {
            "train": str(small_data / "train.jsonl"),
            "val": str(small_data / "val.jsonl"),
            "test": str(small_data / "test_id.jsonl"),
        },
        "model": {"text_encoder": str(tiny_model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "priors": [],
        "train": {
            "epochs": 3,
            "batch_size": 16,
            "seed": 1,
            "cache_dir": str(tmp_path / "cache"),
            "progress_bar": False,
        },
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
