"""The raw Twitter release joined with its RvNN/BiGCN bags of words (format ``twitter_rvnn``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from priorkit.data.cache import load_cached
from priorkit.data.graft import CONTENT_PREFIX
from priorkit.data.jsonl import read_jsonl, write_jsonl
from priorkit.data.loaders.twitter_rvnn import load_twitter_rvnn
from priorkit.data.problems import DataValidationError
from tests.conftest import real_data
from tests.data.loaders.test_rvnn import write
from tests.data.loaders.test_twitter import ROOT, SRC, node, release


def two_trees(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    trees = {
        "100": [f"{ROOT}->{SRC}", f"{SRC}->{node('2', '101', '1.0')}"],
        "200": [
            f"{ROOT}->{node('5', '200', '0.0')}",
            f"{node('5', '200', '0.0')}->{node('6', '201', '3.0')}",
        ],
    }
    folder = release(tmp_path, trees, {"100": "false", "200": "true"})
    (folder / "bigcn").mkdir()
    write(
        folder / "bigcn",
        ["100\tNone\t1\t2\t3\t7:1", "100\t1\t2\t2\t3\t8:2", "100\t2\t3\t2\t3\t9:1"],
        ["false\tE\t100"],
    )
    return folder


def test_words_are_grafted_by_tree_id(tmp_path: Path) -> None:
    dataset = load_twitter_rvnn(two_trees(tmp_path))
    by_id = {s.id: s for s in dataset}
    first, second = by_id["100"], by_id["200"]
    assert first.num_nodes == 4 and first.features.shape == (4, 5003)
    assert first.node_ids[2:] == [CONTENT_PREFIX + "2", CONTENT_PREFIX + "3"]
    assert first.depth.tolist() == [0, 1, 1, 2]
    assert first.features[first.root, 3 + 7] == 1.0 and first.features[3, 3 + 9] == 1.0
    assert first.user[2:] == [None, None] and first.text == "source text 100"
    assert second.num_nodes == 2 and second.features[:, 3:].nnz == 0
    assert dataset.report.changes["samples_without_contents"] == 1
    assert dataset.report.changes["content_nodes_added"] == 2


def test_an_explicit_rvnn_folder(tmp_path: Path) -> None:
    folder = two_trees(tmp_path / "release")
    (folder / "bigcn").rename(tmp_path / "elsewhere")
    with pytest.raises(
        DataValidationError, match=r"bigcn/data.TD_RvNN.vol_5000.txt.*missing RvNN/BiGCN .*rvnn="
    ):
        load_twitter_rvnn(folder)
    assert len(load_twitter_rvnn(folder, rvnn=tmp_path / "elsewhere")) == 2


def test_the_cache_gives_back_the_same_grafted_samples(tmp_path: Path) -> None:
    folder = two_trees(tmp_path / "release")
    first = load_cached("twitter_rvnn", folder, cache_dir=tmp_path / "cache")
    again = load_cached("twitter_rvnn", folder, cache_dir=tmp_path / "cache")
    for a, b in zip(first, again, strict=True):
        assert a.node_ids == b.node_ids and (a.features != b.features).nnz == 0


@pytest.mark.real_data
def test_real_twitter15_with_its_bags_of_words() -> None:
    dataset = load_twitter_rvnn(real_data("twitter15"))
    assert len(dataset) == 1490
    assert dataset.report.changes["samples_without_contents"] == 32
    assert dataset.report.changes["contents_label_differs"] == 0
    # the 41,154 RvNN nodes less one root per grafted tree
    assert dataset.report.changes["content_nodes_added"] == 41_154 - 1458
    assert {s.num_features for s in dataset} == {5003}


def test_grafted_samples_survive_jsonl(tmp_path: Path) -> None:
    dataset = load_twitter_rvnn(two_trees(tmp_path / "release"))
    write_jsonl(dataset, tmp_path / "joined.jsonl")
    for a, b in zip(dataset, read_jsonl(tmp_path / "joined.jsonl"), strict=True):
        assert a.node_ids == b.node_ids and a.user == b.user
        assert (a.features != b.features).nnz == 0
        np.testing.assert_array_equal(a.time, b.time)  # NaN (content nodes) where NaN
