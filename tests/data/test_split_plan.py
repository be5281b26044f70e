"""Split configs, the folds they make on literal datasets, and their round trip by sample id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from priorkit.data.dataset import TreeDataset
from priorkit.data.records import sample_from_dict
from priorkit.data.split_plan import SplitConfig, SplitPlan, make_splits
from priorkit.errors import ConfigError
from tests.conftest import record

STORIES = [
    "plane crash in the alps feared dead",
    "gunman inside the parliament building in ottawa",
    "the prince will play a concert in toronto",
    "the ebola patient was treated in a hospital",
    "putin has not been seen for ten days",
    "the magazine office attack in paris",
]


def story_dataset(copies: int = 4) -> TreeDataset:
    """Six stories, each told ``copies`` times (with a changing tail), label by story; the
    sample posted at hour h has ``created_at`` h * 3600."""
    samples = []
    for k in range(copies):
        for s, text in enumerate(STORIES):
            n = len(samples)
            extra = {"created_at": float(n * 3600), "group": f"event{s % 3}"}
            line = record(f"t{n}", label="rumour" if s % 2 else "news", text=f"{text} URL rt{k}", **extra)
            samples.append(sample_from_dict(line))
    return TreeDataset(samples)


def test_config_refuses_options_of_another_kind() -> None:
    with pytest.raises(ConfigError, match="test_fraction: not an option of kind 'story'"):
        SplitConfig(kind="story", test_fraction=0.3)
    with pytest.raises(ConfigError, match="kind 'groups' makes one fold per group"):
        SplitConfig(kind="groups", k=3)
    assert SplitConfig(kind="story").folds == 5 and SplitConfig(kind="temporal").folds == 1
    assert SplitConfig(kind="groups").folds is None


def test_story_folds_keep_retold_stories_together() -> None:
    data = story_dataset()
    plan = make_splits(data, SplitConfig(kind="story", k=3, val_fraction=0.34))
    assert plan.groups is not None and len(set(plan.groups)) == 6
    for split in plan.splits:
        sides = [{plan.groups[i] for i in part} for part in (split.train, split.val, split.test)]
        assert not (sides[0] & sides[2] or sides[1] & sides[2] or sides[0] & sides[1])
    stratified = make_splits(data, SplitConfig(kind="stratified", k=3))
    straddles = [
        {plan.groups[i] for i in s.train} & {plan.groups[i] for i in s.test} for s in stratified.splits
    ]
    assert any(straddles)  # the same data under random folds: stories on both sides


def test_temporal_and_group_folds() -> None:
    data = story_dataset()
    (split,) = make_splits(data, SplitConfig(kind="temporal", test_fraction=0.25)).splits
    times = np.asarray([s.created_at for s in data])
    assert times[split.test].min() > times[np.concatenate([split.train, split.val])].max()
    groups = make_splits(data, SplitConfig(kind="groups"))
    assert [s.name for s in groups.splits] == ["event0", "event1", "event2"]


def test_a_temporal_cut_that_tests_an_untrained_class_is_refused() -> None:
    early = [record(f"e{i}", label="ab"[i % 2], created_at=float(i)) for i in range(20)]
    late = [record(f"l{i}", label="abc"[i % 3], created_at=float(100 + i)) for i in range(12)]
    data = TreeDataset([sample_from_dict(r) for r in early + late])
    with pytest.raises(
        ConfigError, match=r"fold0: its validation part holds class\(es\) 'c'.*`per_class: true`"
    ):
        make_splits(data, SplitConfig(kind="temporal", test_fraction=0.25))
    config = SplitConfig(kind="temporal", test_fraction=0.25, per_class=True, val_fraction=0.25)
    (split,) = make_splits(data, config).splits
    assert {data[i].label for i in split.test} == {data[i].label for i in split.train} == set("abc")
    assert config.describe_validation().endswith("older than the test block, within each class")
    with pytest.raises(ConfigError, match="per_class: not an option of kind 'stratified'"):
        SplitConfig(per_class=True)


def test_temporal_without_times_is_a_clear_error() -> None:
    data = TreeDataset([sample_from_dict(record(f"r{i}", label="ab"[i % 2])) for i in range(12)])
    with pytest.raises(ConfigError, match="12 of 12 have none \\(first: sample 'r0'\\)"):
        make_splits(data, SplitConfig(kind="temporal"))


def test_plan_round_trips_by_sample_id() -> None:
    data = story_dataset()
    plan = make_splits(data, SplitConfig(kind="story", k=2))
    saved = plan.to_dict()
    assert saved["groups"]["t0"] == saved["groups"]["t6"]  # the same story, told twice
    shuffled = TreeDataset(list(reversed(list(data))))
    again = SplitPlan.from_dict(saved, shuffled)
    for a, b in zip(plan.splits, again.splits, strict=True):
        for part in ("train", "val", "test"):
            ids_a = sorted(data[i].id for i in getattr(a, part))
            ids_b = sorted(shuffled[i].id for i in getattr(b, part))
            assert ids_a == ids_b
    with pytest.raises(ConfigError, match="the data changed since the folds were made"):
        SplitPlan.from_dict(saved, TreeDataset(list(data)[:-1]))


def test_splitting_refuses_unlabelled_samples() -> None:
    from priorkit.data.problems import DataValidationError

    dataset = story_dataset(copies=2)
    dataset[1].label = None
    with pytest.raises(
        DataValidationError, match=f"sample {dataset[1].id}: label: missing \\(splitting needs a label"
    ):
        make_splits(dataset, SplitConfig(kind="stratified", k=2))


def test_validation_is_described_and_folds_saved_before_the_option_read_as_random() -> None:
    from priorkit.data.split_plan import SplitConfig

    assert SplitConfig(kind="groups").describe_validation() == (
        "validation: the whole training group nearest in size to 10% of the training part"
    )
    assert "newest 10%" in SplitConfig(kind="temporal").describe_validation()
    assert "whole training stories" in SplitConfig(kind="story").describe_validation()
    assert SplitConfig(kind="groups", validation="random").describe_validation() == (
        "validation: a random 10% of each fold's training part, stratified by label"
    )
    old = SplitConfig(kind="groups").model_dump(mode="json")
    old.pop("validation")  # folds saved by an earlier priorkit
    assert SplitConfig.from_saved(old).validation == "random"
    assert SplitConfig.from_saved({**old, "kind": "story", "k": 5}).validation == "like_test"


def test_a_mapping_is_read_as_a_split_config_and_anything_else_is_refused() -> None:
    data = TreeDataset([sample_from_dict(record(f"r{i}", label="ab"[i % 2])) for i in range(12)])
    given = make_splits(data, {"kind": "stratified", "k": 3})
    assert [s.test.tolist() for s in given.splits] == [
        s.test.tolist() for s in make_splits(data, SplitConfig(kind="stratified", k=3)).splits
    ]
    with pytest.raises(ConfigError, match=r"splits: `kind`: "):
        make_splits(data, {"kind": "random"})
    with pytest.raises(
        ConfigError, match=r"splits: expected a pk.SplitConfig or a mapping .*\(got NoneType\)"
    ):
        make_splits(data, None)  # type: ignore[arg-type]


def test_make_splits_reads_a_path_or_records_as_the_rest_of_the_api_does(small_data: Path) -> None:
    import priorkit as pk
    from priorkit.data.jsonl import read_jsonl

    path = small_data / "train.jsonl"
    from_path = pk.make_splits(path, {"kind": "stratified", "k": 3})
    from_dataset = pk.make_splits(read_jsonl(path), {"kind": "stratified", "k": 3})
    assert [s.test.tolist() for s in from_path.splits] == [s.test.tolist() for s in from_dataset.splits]
    with pytest.raises(pk.PriorkitError, match=r"dataset: expected a JSONL path, a TreeDataset, or a list"):
        pk.make_splits(None, {"kind": "stratified"})  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_a_fold_seed_outside_numpys_range_is_refused_when_read(seed: int) -> None:
    with pytest.raises(ConfigError, match=r"`seed`: input should be (greater|less) than or equal to"):
        SplitConfig(seed=seed)
    assert SplitConfig(seed=2**32 - 1).seed == 2**32 - 1
