from collections import Counter
from pathlib import Path

import pytest

from priorkit.data.loaders.rvnn import load_rvnn
from priorkit.data.problems import DataValidationError
from tests.conftest import real_data


def write(tmp_path: Path, data: list[str], labels: list[str]) -> Path:
    (tmp_path / "data.TD_RvNN.vol_5000.txt").write_text("\n".join(data) + "\n")
    (tmp_path / "my_label_All.txt").write_text("\n".join(labels) + "\n")
    return tmp_path


def test_bag_of_words_is_sparse(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        ["t1\tNone\t1\t2\t5\t3:1 17:2", "t1\t1\t2\t2\t5\t4999:1", "t9\tNone\t1\t1\t1\t1:1"],
        ["true\tE1\tt1\t1\t2", "false\tE2\tt2\t1\t2"],
    )
    dataset = load_rvnn(folder)
    (sample,) = dataset
    assert sample.features.shape == (2, 5000) and sample.features.nnz == 3
    assert sample.features[0, 17] == 2.0 and sample.depth.tolist() == [0, 1]
    assert dataset.report.changes == {
        "trees_without_label": 1,
        "labels_without_tree": 1,
        "samples_without_text": 1,
    }


def test_bad_word_index_is_named(tmp_path: Path) -> None:
    folder = write(tmp_path, ["t1\tNone\t1\t1\t1\t7000:1"], ["true\tE\tt1"])
    with pytest.raises(
        DataValidationError, match=r":1: sample t1: bag of words: .*index < 5000 \(got '7000:1'\)"
    ):
        load_rvnn(folder)


@pytest.mark.parametrize("count", ["nan", "1e400", "-inf"])
def test_a_count_that_is_not_a_finite_float32_is_named(tmp_path: Path, count: str) -> None:
    folder = write(tmp_path, [f"t1\tNone\t1\t1\t1\t5:{count}"], ["true\tE\tt1"])
    with pytest.raises(
        DataValidationError, match=rf":1: sample t1: bag of words: .*finite count .*\(got '5:{count}'\)"
    ):
        load_rvnn(folder)


def test_broken_tree_is_named(tmp_path: Path) -> None:
    folder = write(tmp_path, ["t1\tNone\t1\t1\t1\t1:1", "t1\t9\t2\t1\t1\t1:1"], ["true\tE\tt1"])
    with pytest.raises(DataValidationError, match=r"nodes\[1\]\.parent: names no node"):
        load_rvnn(folder)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (
            ["true\tE\tt1", "false\tE\tt1"],
            r"label_All.txt:2: sample t1: .*a second label for this tree \(line 1: 'true'\) \(got 'false'\)",
        ),
        (["\tE\tt1"], r"label_All.txt:1: sample t1: .*the label and tree id non-empty"),
        (["true\tE"], r"label_All.txt:1: sample \?: .*expected tab-separated label, event, tree id"),
    ],
)
def test_a_label_file_line_that_is_broken_or_contradicts_another_is_named(
    tmp_path: Path, labels: list[str], message: str
) -> None:
    with pytest.raises(DataValidationError, match=message):
        load_rvnn(write(tmp_path, ["t1\tNone\t1\t1\t1\t1:1"], labels))


def test_a_tree_labelled_twice_alike_is_read(tmp_path: Path) -> None:
    folder = write(tmp_path, ["t1\tNone\t1\t1\t1\t1:1"], ["true\tE\tt1", "true\tE\tt1"])
    assert [s.label for s in load_rvnn(folder)] == ["true"]


@pytest.mark.real_data
def test_real_bigcn_file() -> None:
    folder = real_data("twitter15/bigcn")
    dataset = load_rvnn(folder, texts=real_data("twitter15/source_tweets.txt"))
    assert len(dataset) == 1458
    assert sum(s.num_nodes for s in dataset) == 41_154
    assert sum(Counter(dataset.labels).values()) == 1458
    assert dataset.report.changes["labels_without_tree"] == 32
    assert all(s.text for s in dataset)


def test_bytes_that_are_not_utf8_are_named_by_line(tmp_path: Path) -> None:
    folder = write(tmp_path, ["t1\tNone\t1\t1\t1\t1:1", "t1\t1\t2\t1\t1\t1:1"], ["true\tE\tt1"])
    data = folder / "data.TD_RvNN.vol_5000.txt"
    data.write_bytes(data.read_bytes().replace(b"t1\t1\t2", b"t\xff\t1\t2"))
    with pytest.raises(
        DataValidationError, match=r"vol_5000\.txt:2: sample \?: -: not valid UTF-8 at byte 1"
    ):
        load_rvnn(folder)
    data.write_bytes(b"\xef\xbb\xbft1\tNone\t1\t1\t1\t1:1\r\nt1\t1\t2\t1\t1\t1:1\r\n")  # a BOM, Windows lines
    assert [s.num_nodes for s in load_rvnn(folder)] == [2]
