"""A training config on the small synthetic data (tests/conftest.py) with the tiny offline encoder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


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
