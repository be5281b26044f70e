"""run_trial checks the data it will score after training before it trains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from priorkit.api.trial import run_trial
from priorkit.runs.config import RunConfig
from priorkit.runs.schema import IncompatibleDataError
from tests.training.conftest import config_file

__all__ = ["config_file"]


def test_evaluation_data_the_model_could_not_score_is_refused_before_training(
    config_file: Path, small_data: Path, tmp_path: Path
) -> None:
    lines = (small_data / "test_id.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join([*lines[1:3], json.dumps({**first, "label": "sarcastic"})]) + "\n")
    config = RunConfig.from_yaml(config_file)
    with pytest.raises(IncompatibleDataError) as raised:
        run_trial(config, tmp_path / "run", evaluate={"other": other})
    assert str(raised.value).startswith(f"evaluate.other: sample {first['id']} ({other}:3): label: ")
    assert "(got 'sarcastic')" in str(raised.value)
    assert not (tmp_path / "run").exists()  # nothing was trained


def test_the_run_and_the_further_files_are_scored_with_the_configs_reliance_repeats(
    config_file: Path, small_data: Path, tmp_path: Path
) -> None:
    assert RunConfig.from_yaml(config_file).train.reliance_repeats == 5  # the default
    config = RunConfig.from_yaml(config_file, ["train.reliance_repeats=2", "train.epochs=1"])
    result = run_trial(config, tmp_path / "run", evaluate={"ood": small_data / "test_ood.jsonl"})
    for name in ("test", "ood"):
        assert result.reports[name]["reliance_nodes"]["repeats"] == 2, name
