"""``finished_arm``: the runs, data and folds of one arm of a finished folded study."""

from __future__ import annotations

from pathlib import Path

import pytest

import priorkit as pk
from priorkit.data.jsonl import read_jsonl, write_jsonl
from tests.ablation.test_folds import study_with


def test_an_arm_of_a_finished_folded_study_gives_its_runs_by_fold(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    samples = [s for name in ("train", "val") for s in read_jsonl(small_data / f"{name}.jsonl")]
    for k, sample in enumerate(samples):
        sample.group = f"event{k % 3}"
    write_jsonl(samples, tmp_path / "all.jsonl")
    study = study_with(
        study_file, {"folds": "groups", "seeds": [0, 1], "datasets": {"ev": {"source": "all.jsonl"}}}
    )
    with pytest.raises(pk.ConfigError, match=r"expected the folder of a folded study .* run the study first"):
        pk.finished_arm(study, tmp_path / "study", "baseline")
    pk.run_study(study, tmp_path / "study", progress=False)

    arm = pk.finished_arm(study, tmp_path / "study", "baseline")
    assert arm.dataset_name == "ev" and len(arm.dataset) == len(samples)
    assert [split.name for split in arm.folds] == [
        "event0",
        "event1",
        "event2",
    ]  # one fold per left-out group
    assert [len(runs) for runs in arm.runs] == [2, 2, 2]  # one run per seed in each fold
    for split, runs in zip(arm.folds, arm.runs, strict=True):
        tested = {arm.dataset[int(i)].group for i in split.test}
        assert len(tested) == 1  # leave one group out
        for run in runs:
            assert pk.load(run).metrics["data"]["test"]["samples"] == len(split.test)
    assert {arm.config.train.seed} == {0}
    with pytest.raises(pk.ConfigError, match=r"arm: expected one of baseline \(got 'nope'\)"):
        pk.finished_arm(study, tmp_path / "study", "nope")
