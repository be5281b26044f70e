"""TreeDataset: grouping samples by post-time period."""

from __future__ import annotations

import collections

import pytest
import torch

from priorkit.data.dataset import TreeDataset
from priorkit.data.records import sample_from_dict
from priorkit.errors import ConfigError
from tests.conftest import record


def timed(times: list[float | None]) -> TreeDataset:
    return TreeDataset(
        [sample_from_dict(record(f"s{i}", created_at=t, group="old")) for i, t in enumerate(times)]
    )


def test_periods_cut_the_samples_by_time_into_equal_parts() -> None:
    data = timed([float(t) for t in (50, 10, 40, 0, 30, 20, 90, 70, 80, 60)])
    assert data.group_by_period(5) is data
    by_time = sorted(data, key=lambda s: s.created_at or 0.0)
    assert [s.group for s in by_time] == [f"period{i // 2}" for i in range(10)]  # the old groups replaced


def test_samples_of_one_time_share_a_period() -> None:
    data = timed([0.0, 1.0, 1.0, 1.0, 1.0, 2.0]).group_by_period(2)
    groups = {s.created_at: {t.group for t in data if t.created_at == s.created_at} for s in data}
    assert all(len(g) == 1 for g in groups.values())
    assert collections.Counter(s.group for s in data) == {"period0": 5, "period1": 1}


def test_periods_need_a_time_on_every_sample_and_a_sensible_count() -> None:
    with pytest.raises(ConfigError, match=r"1 of 3 have none \(first: sample 's1'\)"):
        timed([0.0, None, 2.0]).group_by_period(2)
    with pytest.raises(ConfigError, match="expected 2 to 3 periods"):
        timed([0.0, 1.0, 2.0]).group_by_period(4)
    with pytest.raises(ConfigError, match="expected 2 to 3 periods"):
        timed([0.0, 1.0, 2.0]).group_by_period(1)


def test_renaming_a_label_no_sample_has_is_refused_naming_the_labels_there() -> None:
    import pytest

    from priorkit.data.tables import from_records
    from priorkit.errors import ConfigError
    from tests.conftest import record

    dataset = from_records([record("a", label="false"), record("b", label="true")])
    with pytest.raises(
        ConfigError, match=r"relabel: expected labels the data have, false, true \(got 'Flase'\)"
    ):
        dataset.relabel({"Flase": "rumour"})
    assert [s.label for s in dataset.relabel({"false": "rumour"})] == ["rumour", "true"]


def test_indexing_takes_positions_or_a_mask_and_names_anything_else() -> None:
    import numpy as np

    dataset = TreeDataset([sample_from_dict(record(f"r{i}")) for i in range(4)])
    assert [s.id for s in dataset[[3, 0]]] == ["r3", "r0"] and dataset[-1].id == "r3"
    assert [s.id for s in dataset[np.array([True, False, False, True])]] == ["r0", "r3"]
    assert [s.id for s in dataset[[False, True, True, False]]] == ["r1", "r2"]  # not positions 0, 1, 1, 0
    assert len(dataset[[]]) == 0 and [s.id for s in dataset[range(1, 3)]] == ["r1", "r2"]
    assert [s.id for s in dataset[torch.tensor([2])]] == ["r2"]
    with pytest.raises(
        ConfigError, match=r"a boolean mask must hold one value per sample \(4; got shape \(2,\)\)"
    ):
        dataset[[True, False]]
    for index in ("r1", 1.5, None, {"a": 1}):
        with pytest.raises(ConfigError, match=r"TreeDataset index: expected an integer, a slice"):
            dataset[index]  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"got items of type float64"):
        dataset[[0.5, 1.0]]  # type: ignore[index]
    with pytest.raises(IndexError, match=r"sample index 9: out of range \(the dataset holds 4 samples\)"):
        dataset[9]
    with pytest.raises(IndexError, match=r"sample index -5"):
        dataset[[0, -5]]
