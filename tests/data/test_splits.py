import numpy as np
import pytest

from priorkit.data.splits import leave_one_group_out, story_kfold, stratified_kfold, temporal_splits
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


def _parts(split: object) -> list[set[int]]:
    return [set(split.train.tolist()), set(split.val.tolist()), set(split.test.tolist())]  # type: ignore[attr-defined]


def test_story_kfold_keeps_every_story_on_one_side() -> None:
    # 24 stories of 1 to 4 samples each; the label follows the story
    stories = [f"s{i}" for i in range(24) for _ in range(1 + i % 4)]
    labels = ["x" if int(s[1:]) % 2 else "y" for s in stories]
    splits = story_kfold(stories, labels, k=4, val_fraction=0.2, seed=0)
    assert sorted(np.concatenate([s.test for s in splits]).tolist()) == list(range(len(stories)))
    for split in splits:
        train, val, test = ({stories[i] for i in part} for part in _parts(split))
        assert not (train & test or val & test or train & val)  # whole stories, including validation
        assert len(split.train) + len(split.val) + len(split.test) == len(stories)
        assert val and {labels[i] for i in split.test} == {"x", "y"}


def test_story_kfold_needs_enough_stories() -> None:
    with pytest.raises(ConfigError, match="number of stories"):
        story_kfold(["a"] * 10 + ["b"] * 10, ["x", "y"] * 10, k=3)


def test_temporal_split_trains_on_the_past() -> None:
    times = [float(t) for t in np.random.default_rng(0).permutation(100)]
    ids = [f"id{i}" for i in range(100)]
    (split,) = temporal_splits(times, ids, k=1, test_fraction=0.2, val_fraction=0.25)
    t = np.asarray(times)
    assert len(split.test) == 20 and len(split.val) == 20 and len(split.train) == 60
    assert t[split.train].max() < t[split.val].min() and t[split.val].max() < t[split.test].min()
    assert sorted(t[split.test].tolist()) == list(range(80, 100))


def test_temporal_blocks_move_forward_and_ties_stay_together() -> None:
    times = [float(i // 2) for i in range(60)]  # every time twice
    splits = temporal_splits(times, [str(i) for i in range(60)], k=3, test_fraction=0.15)
    t = np.asarray(times)
    starts = [t[s.test].min() for s in splits]
    assert starts == sorted(starts) and len(set(starts)) == 3
    for split in splits:
        assert t[np.concatenate([split.train, split.val])].max() < t[split.test].min()
        assert t[split.train].max() < t[split.val].min()
    assert sum(len(s.test) for s in splits) in (26, 28)  # cuts moved to keep equal times together


def test_temporal_split_per_class_tests_every_class_on_its_newest_samples() -> None:
    # class "a" lives in times 0..39, class "b" in 100..139: one cut would test on "b" only
    times = [float(i) for i in range(40)] + [float(100 + i) for i in range(40)]
    labels = ["a"] * 40 + ["b"] * 40
    ids = [str(i) for i in range(80)]
    (plain,) = temporal_splits(times, ids, k=1, test_fraction=0.25)
    assert {labels[i] for i in plain.test} == {"b"}
    splits = temporal_splits(times, ids, k=2, test_fraction=0.2, val_fraction=0.25, labels=labels)
    t, y = np.asarray(times), np.asarray(labels)
    for split in splits:
        for c in "ab":
            parts = [p[y[p] == c] for p in (split.train, split.val, split.test)]
            assert all(len(p) for p in parts)  # every class on every side
            assert t[parts[0]].max() < t[parts[1]].min() and t[parts[1]].max() < t[parts[2]].min()
        every = np.concatenate([split.train, split.val, split.test])
        assert len(np.unique(every)) == len(every)  # disjoint parts
    assert [sorted(t[s.test[y[s.test] == "a"]].tolist()) for s in splits] == [
        [float(i) for i in range(24, 32)],
        [float(i) for i in range(32, 40)],
    ]


def test_temporal_split_per_class_names_a_class_too_small_to_cut() -> None:
    labels = ["a"] * 30 + ["b"] * 2
    times = [float(i) for i in range(32)]
    with pytest.raises(ConfigError, match="fold 0 has an empty part of class 'b' \\(2 samples"):
        temporal_splits(times, [str(i) for i in range(32)], k=1, test_fraction=0.2, labels=labels)


def test_temporal_split_names_a_sample_without_time() -> None:
    with pytest.raises(ConfigError, match=r"1 of 12 have none \(first: sample 'b'\). Set `created_at`"):
        temporal_splits([1.0, None] + [float(i) for i in range(2, 12)], list("abcdefghijkl"))


def test_leave_one_group_out_validates_on_a_whole_held_out_group_by_default() -> None:
    groups = ["e1"] * 30 + ["e2"] * 6 + ["e3"] * 12 + ["e4"] * 40
    labels = ["x", "y"] * 44
    for split in leave_one_group_out(groups, labels, val_fraction=0.1, seed=0):
        validation = {groups[i] for i in split.val}
        assert len(validation) == 1  # one whole group, drawn as the test part is
        (held,) = validation
        assert held != split.name and held not in {groups[i] for i in split.train}
        rest = [g for g in sorted(set(groups)) if g != split.name]
        target = 0.1 * sum(groups.count(g) for g in rest)
        assert abs(groups.count(held) - target) == min(abs(groups.count(g) - target) for g in rest)
    random = leave_one_group_out(groups, labels, val_fraction=0.1, seed=0, validation="random")
    assert any(len({groups[i] for i in split.val}) > 1 for split in random)  # the old carve-out


def test_a_whole_group_for_validation_needs_a_third_group() -> None:
    with pytest.raises(ConfigError, match=r"needs at least 3 groups.*Use validation: random"):
        leave_one_group_out(["a"] * 6 + ["b"] * 6, ["x", "y"] * 6)
    assert len(leave_one_group_out(["a"] * 6 + ["b"] * 6, ["x", "y"] * 6, validation="random")) == 2


def test_random_validation_of_story_and_temporal_folds_mixes_the_training_part() -> None:
    stories = [f"s{i // 2}" for i in range(40)]
    labels = ["x", "y"] * 20
    for split in story_kfold(stories, labels, k=4, val_fraction=0.2, seed=0, validation="random"):
        assert not {stories[i] for i in split.test} & {
            stories[i] for i in np.concatenate([split.train, split.val])
        }
    times = [float(i) for i in range(50)]
    (like_test,) = temporal_splits(times, [str(i) for i in range(50)], val_fraction=0.25)
    (random,) = temporal_splits(times, [str(i) for i in range(50)], val_fraction=0.25, validation="random")
    assert min(like_test.val) > max(like_test.train)  # the newest of the older samples
    assert len(random.val) == len(like_test.val) and min(random.val) < max(random.train)
    assert set(random.test.tolist()) == set(like_test.test.tolist())


def test_story_folds_of_few_samples_have_a_validation_part_or_a_clear_refusal() -> None:
    stories, labels = [f"s{i}" for i in range(16)], ["a", "b"] * 8  # 8 per class: fewer than 10 inner folds
    for split in story_kfold(stories, labels, k=2):
        assert len(split.val) > 0 and not set(split.val) & set(split.train)
        assert sorted([*split.train, *split.val, *split.test]) == list(range(16))
    with pytest.raises(
        ConfigError, match=r"folds: expected k <= the samples of the largest class \(4\) \(got 5\)"
    ):
        story_kfold([f"s{i}" for i in range(10)], ["a", "b", "c", "a", "b", "c", "a", "b", "c", "a"], k=5)


def test_columns_that_are_not_one_value_per_sample_are_named() -> None:
    labels = ["a", "b"] * 6
    with pytest.raises(
        ConfigError, match=r"labels: expected one value per sample, a list or array \(got NoneType\)"
    ):
        stratified_kfold(None, 2)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"labels: .*\(got str\)"):
        stratified_kfold("abab", 2)  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match=r"one value per sample in each of groups, labels \(got groups 11, labels 12\)"
    ):
        leave_one_group_out(["e1", "e2", "e3"] * 3 + ["e1", "e2"], labels)
    with pytest.raises(ConfigError, match=r"stories: expected one value per sample"):
        story_kfold(3, labels)  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match=r"in each of times, ids, labels \(got times 12, ids 12, labels 3\)"
    ):
        temporal_splits([float(i) for i in range(12)], [f"s{i}" for i in range(12)], labels=["a", "b", "a"])
    assert len(stratified_kfold(np.asarray(labels), 2)) == 2  # an array is one value per sample
