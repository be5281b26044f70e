import numpy as np
import pytest

from priorkit.data.splits import leave_one_group_out, stratified_kfold
from priorkit.errors import ConfigError


def test_kfold_parts_are_disjoint_and_cover_everything() -> None:
    labels = ["a"] * 30 + ["b"] * 20
    splits = stratified_kfold(labels, k=5, val_fraction=0.2, seed=0)
    tests = np.concatenate([s.test for s in splits])
    assert sorted(tests.tolist()) == list(range(50))
    for split in splits:
        parts = [set(split.train), set(split.val), set(split.test)]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert len(parts[0]) + len(parts[1]) + len(parts[2]) == 50
        assert sum(labels[i] == "b" for i in split.test) == 4  # stratified
        assert len(split.val) == 8


def test_kfold_is_seeded() -> None:
    labels = ["a", "b"] * 20
    first = stratified_kfold(labels, k=4, seed=3)
    again = stratified_kfold(labels, k=4, seed=3)
    other = stratified_kfold(labels, k=4, seed=4)
    assert all(
        np.array_equal(x.test, y.test) and np.array_equal(x.val, y.val)
        for x, y in zip(first, again, strict=True)
    )
    assert any(not np.array_equal(x.test, y.test) for x, y in zip(first, other, strict=True))


def test_too_many_folds_for_the_smallest_class() -> None:
    with pytest.raises(ConfigError, match="expected at most 3 folds"):
        stratified_kfold(["a"] * 20 + ["b"] * 3, k=5)


def test_leave_one_group_out() -> None:
    groups = ["e1"] * 10 + ["e2"] * 6 + ["e3"] * 8
    labels = ["x", "y"] * 12
    splits = leave_one_group_out(groups, labels, val_fraction=0.25, seed=0)
    assert [s.name for s in splits] == ["e1", "e2", "e3"]
    for split in splits:
        assert {groups[i] for i in split.test} == {split.name}
        assert split.name not in {groups[i] for i in np.concatenate([split.train, split.val])}
        assert len(split.train) + len(split.val) + len(split.test) == 24


def test_leave_one_group_out_needs_groups() -> None:
    with pytest.raises(ConfigError, match="expected a group on every sample"):
        leave_one_group_out(["a", None], ["x", "y"])
