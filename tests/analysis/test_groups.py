"""The group report: a fresh probe and the worst group, on data of known group structure."""

from __future__ import annotations

import numpy as np
import pytest

from priorkit.analysis.groups import group_report, probe


def test_the_probe_tells_separable_groups_apart_and_not_random_ones() -> None:
    generator = np.random.default_rng(0)
    groups = np.repeat([0, 1, 2], 40)
    separable = generator.normal(size=(120, 4)) + 3.0 * np.eye(3, 4)[groups]
    assert probe(separable, groups)["probe_excess"] > 0.5
    shuffled = probe(generator.normal(size=(120, 4)), groups)
    assert abs(shuffled["probe_excess"]) < 0.15 and shuffled["probe_majority"] == pytest.approx(1 / 3)


def test_the_report_leaves_out_samples_without_a_group_and_small_groups_from_the_probe() -> None:
    generator = np.random.default_rng(1)
    names = ["a"] * 30 + ["b"] * 30 + ["c"] * 3 + [""] * 10
    fused = generator.normal(size=(73, 4))
    right = np.array([1.0] * 30 + [0.5] * 30 + [0.0] * 3 + [1.0] * 10)
    report = group_report(fused, names, right)
    assert report is not None and report["worst_group_accuracy"] == 0.0  # c is scored, however small
    assert report["probe_majority"] == pytest.approx(0.5)  # the probe sees a and b only
    assert group_report(fused, ["a"] * 73, right) is None  # one group: nothing to compare


def test_the_probe_within_classes_sees_what_the_vectors_say_beyond_the_label() -> None:
    generator = np.random.default_rng(2)
    group = np.repeat([0, 1], 100)
    labels = (generator.random(200) < np.where(group == 0, 0.75, 0.25)).astype(int)  # mixes differ
    names = np.array(["a", "b"])[group]
    label_only = generator.normal(size=(200, 4)) + 3.0 * np.eye(4)[labels]  # the label, nothing else
    report = group_report(label_only, names, np.ones(200), labels)
    assert report is not None and report["probe_excess"] > 0.15  # the label tells the group
    assert abs(report["probe_excess_within_class"]) < 0.1  # nothing beyond it
    beyond = label_only + 3.0 * np.eye(4)[group + 2]
    assert group_report(beyond, names, np.ones(200), labels)["probe_excess_within_class"] > 0.15  # type: ignore[index]
    assert "probe_excess_within_class" not in group_report(label_only, names, np.ones(200))  # type: ignore[operator]


def test_the_label_alone_tells_groups_apart_as_far_as_their_class_mixes_differ() -> None:
    from priorkit.analysis.groups import label_excess

    assert label_excess(["a", "a", "b", "b"], [0, 1, 0, 1]) == 0.0  # one mix: nothing
    assert label_excess(["a", "a", "b", "b"], [0, 0, 1, 1]) == 0.5  # the label is the group
    # a: 3 x class 0, 1 x class 1; b: 1 x class 0, 3 x class 1 -> guess right 6 of 8, majority 4 of 8
    assert label_excess(list("aaaabbbb"), [0, 0, 0, 1, 0, 1, 1, 1]) == 0.25
