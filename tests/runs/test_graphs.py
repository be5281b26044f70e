"""``text_features``: the run's frozen text embeddings outside the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from priorkit.data.jsonl import read_jsonl
from priorkit.errors import ConfigError
from priorkit.runs.config import RunConfig
from priorkit.runs.graphs import text_features


def test_text_features_take_data_and_config_as_pk_fit_does(
    tiny_model_dir: Path, small_data: Path, tmp_path: Path
) -> None:
    """A JSONL path with a config mapping (or YAML file) gives the embeddings that the dataset
    with its RunConfig gives, one row per sample; a config of another type is named."""
    mapping = {
        "model": {"text_encoder": str(tiny_model_dir)},
        "train": {"cache_dir": str(tmp_path / "cache")},
    }
    path = small_data / "val.jsonl"
    expected = text_features(read_jsonl(path), RunConfig.from_dict(mapping))
    assert expected.shape == (16, 32)
    assert np.array_equal(text_features(path, mapping), expected)
    assert np.array_equal(text_features(str(path), mapping), expected)
    with pytest.raises(
        ConfigError, match=r"config: expected a RunConfig, a mapping or a YAML path \(got list\)"
    ):
        text_features(path, [mapping])  # type: ignore[arg-type]
