"""A tiny study: the small synthetic data and tiny offline encoder of the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.training.conftest import config_file  # noqa: F401  (fixture)


@pytest.fixture
def study_file(config_file: Path, small_data: Path, tmp_path: Path) -> Path:  # noqa: F811
    base = yaml.safe_load(config_file.read_text())
    base["train"]["epochs"] = 1
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    study = {
        "base": "base.yaml",
        "arms": {"baseline": {"priors": []}, "decay": {"priors": [{"name": "depth_decay", "decay": 2.0}]}},
        "seeds": [0, 1],
        "evaluate": {"test_ood": str(small_data / "test_ood.jsonl")},
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path
