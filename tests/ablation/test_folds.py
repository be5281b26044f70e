"""Studies that split one source into folds: k-fold on a real dataset, leave one group out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from priorkit.ablation import run_study
from priorkit.data.jsonl import read_jsonl, write_jsonl
from tests.conftest import real_data


def study_with(study_file: Path, changes: dict) -> Path:  # type: ignore[type-arg]
    spec = yaml.safe_load(study_file.read_text())
    spec.update(changes)
    spec["arms"] = {"baseline": {"priors": []}}
    spec.pop("evaluate")
    study_file.write_text(yaml.safe_dump(spec))
    return study_file


def test_leave_one_group_out_tests_each_group_once(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    samples = [s for name in ("train", "val", "test_id") for s in read_jsonl(small_data / f"{name}.jsonl")]
    for k, sample in enumerate(samples):
        sample.group = f"event{k % 3}"
    write_jsonl(samples, tmp_path / "all.jsonl")
    study = study_with(
        study_file, {"folds": "groups", "seeds": [0], "datasets": {"events": {"source": "all.jsonl"}}}
    )
    run = run_study(study, tmp_path / "study", progress=False)
    assert run.done == 3 and run.failed == 0
    table = pd.read_csv(tmp_path / "study" / "results.csv")
    assert sorted(table["fold"]) == [0, 1, 2]
    assert table["test.n"].sum() == len(samples)  # every sample is tested exactly once


@pytest.mark.real_data
def test_k_fold_on_raw_twitter15(study_file: Path, tmp_path: Path) -> None:
    source = real_data("twitter15")
    study = study_with(
        study_file,
        {"folds": 2, "seeds": [0], "datasets": {"t15": {"source": str(source), "format": "twitter"}}},
    )
    run = run_study(study, tmp_path / "study", progress=False)
    assert run.done == 2 and run.failed == 0
    table = pd.read_csv(tmp_path / "study" / "results.csv")
    assert table["test.n"].sum() == 1490
