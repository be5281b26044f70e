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
