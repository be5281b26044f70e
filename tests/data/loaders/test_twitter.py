"""Twitter15/16 raw-release loader: each repair policy on a literal tree, then the real data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from priorkit.data.loaders.twitter import load_twitter
from priorkit.data.problems import DataValidationError
from priorkit.data.times import iso_time
from tests.conftest import real_data


def node(uid: str, tweet: str, delay: str) -> str:
    return f"['{uid}', '{tweet}', '{delay}']"


ROOT = node("ROOT", "ROOT", "0.0")
SRC = node("1", "100", "0.0")


def release(tmp_path: Path, trees: dict[str, list[str]], labels: dict[str, str] | None = None) -> Path:
    (tmp_path / "tree").mkdir()
    labels = labels or {tweet: "false" for tweet in trees}
    (tmp_path / "label.txt").write_text("".join(f"{v}:{k}\n" for k, v in labels.items()))
    (tmp_path / "source_tweets.txt").write_text("".join(f"{k}\tsource text {k}\n" for k in trees))
    for tweet, edges in trees.items():
        (tmp_path / "tree" / f"{tweet}.txt").write_text("\n".join(edges) + "\n")
    return tmp_path


def test_a_clean_tree(tmp_path: Path) -> None:
    edges = [
        f"{ROOT}->{SRC}",
        f"{SRC}->{node('2', '100', '1.5')}",
        f"{SRC}->{node('3', '101', '2.0')}",
        f"{node('3', '101', '2.0')}->{node('4', '102', '5.0')}",
    ]
    dataset = load_twitter(release(tmp_path, {"100": edges}))
    (sample,) = dataset
    assert (sample.id, sample.label, sample.text) == ("100", "false", "source text 100")
    assert sample.depth.tolist() == [0, 1, 1, 2]
    assert sample.user == ["1", "2", "3", "4"]
    assert sample.time.tolist() == [0.0, 1.5, 2.0, 5.0]
    assert sample.created_at is None  # "100" is not a snowflake id; real ids are (below)
    # features: signed log1p(delay), is_retweet (same tweet id as the parent), depth
    assert np.allclose(sample.features[:, 0], np.log1p([0.0, 1.5, 2.0, 5.0]))
    assert sample.features[:, 1].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert sample.features[:, 2].tolist() == [0.0, 1.0, 1.0, 2.0]
    assert not any(dataset.report.changes.values())


def test_self_loops_are_removed_and_counted(tmp_path: Path) -> None:
    child = node("2", "100", "1.0")
    edges = [f"{ROOT}->{SRC}", f"{SRC}->{child}", f"{child}->{child}", f"{SRC}->{SRC}"]
    dataset = load_twitter(release(tmp_path, {"100": edges}))
    assert dataset[0].num_nodes == 2
    assert dataset.report.changes["self_loop_edges_removed"] == 2


def test_first_listed_parent_wins(tmp_path: Path) -> None:
    a, b, c = node("2", "101", "1.0"), node("3", "102", "2.0"), node("4", "103", "3.0")
    edges = [f"{ROOT}->{SRC}", f"{SRC}->{a}", f"{SRC}->{b}", f"{a}->{c}", f"{b}->{c}"]
    dataset = load_twitter(release(tmp_path, {"100": edges}))
    sample = dataset[0]
    assert sample.node_ids[int(sample.parent_index[3])] == "2/101/1.0"
    assert dataset.report.changes["extra_parent_edges_dropped"] == 1


def test_root_edge_to_an_earlier_tweet_shifts_times(tmp_path: Path) -> None:
    earlier = node("1", "90", "-30.0")
    edges = [
        f"{earlier}->{earlier}",
        f"{ROOT}->{earlier}",
        f"{earlier}->{node('2', '100', '3.0')}",
        f"{earlier}->{node('5', '91', '-10.0')}",
    ]
    dataset = load_twitter(release(tmp_path, {"100": edges}))
    sample = dataset[0]
    assert sample.node_ids[sample.root] == "1/90/-30.0"
    assert sample.time[sample.root] == 0.0 and sorted(sample.time.tolist()) == [0.0, 20.0, 33.0]
    assert dataset.report.changes["trees_with_negative_root_delay_shifted"] == 1
    assert dataset.report.changes["self_loop_edges_removed"] == 1


def test_edges_into_the_root_and_negative_delays(tmp_path: Path) -> None:
    older = node("7", "99", "-5.0")
    edges = [f"{SRC}->{older}", f"{older}->{SRC}", f"{ROOT}->{SRC}"]
    dataset = load_twitter(release(tmp_path, {"100": edges}))
    sample = dataset[0]
    assert sample.node_ids == ["7/99/-5.0", "1/100/0.0"]
    assert sample.root == 1 and sample.depth.tolist() == [1, 0]
    assert dataset.report.changes["edges_into_root_dropped"] == 1
    assert dataset.report.changes["negative_delays_kept"] == 1
    assert sample.features[0, 0] < 0  # signed log keeps the sign


def test_nodes_that_never_reach_the_root_are_dropped_and_counted(tmp_path: Path) -> None:
    lost, below = node("8", "200", "9.0"), node("9", "201", "10.0")
    edges = [f"{ROOT}->{SRC}", f"{SRC}->{node('2', '100', '1.0')}", f"{lost}->{below}"]
    dataset = load_twitter(release(tmp_path, {"100": edges}))
    assert dataset[0].num_nodes == 2
    assert dataset.report.changes["unreachable_nodes_dropped"] == 2


def test_missing_tree_files_and_texts_are_counted(tmp_path: Path) -> None:
    folder = release(tmp_path, {"100": [f"{ROOT}->{SRC}"]}, labels={"100": "true", "555": "false"})
    dataset = load_twitter(folder)
    assert len(dataset) == 1 and dataset.report.changes["labels_without_tree"] == 1


def test_a_malformed_line_is_named(tmp_path: Path) -> None:
    folder = release(tmp_path, {"100": [f"{ROOT}->{SRC}", "garbage -> here"]})
    with pytest.raises(DataValidationError) as raised:
        load_twitter(folder)
    assert str(raised.value.problems[0]).startswith(
        f"{folder / 'tree' / '100.txt'}:2: sample 100: -: not an edge"
    )


@pytest.mark.parametrize("delay", ["nan", "1e400", "1e39", "soon"])
def test_a_delay_that_is_not_a_finite_float32_is_named(tmp_path: Path, delay: str) -> None:
    folder = release(tmp_path, {"100": [f"{ROOT}->{SRC}", f"{SRC}->{node('2', '100', delay)}"]})
    with pytest.raises(DataValidationError) as raised:
        load_twitter(folder)
    assert str(raised.value.problems[0]) == (
        f"{folder / 'tree' / '100.txt'}:0: sample 100: node 2/100: delay: expected a finite number of minutes "
        f"within float32 range (got {delay!r}); fix the delay in the tree file, or remove the edge"
    )


def test_byte_order_marks_are_not_read_as_text(tmp_path: Path) -> None:
    folder = release(tmp_path, {"100": [f"{ROOT}->{SRC}"], "101": [f"{ROOT}->{node('1', '101', '0.0')}"]})
    for name in ("label.txt", "source_tweets.txt"):
        (folder / name).write_bytes(b"\xef\xbb\xbf" + (folder / name).read_bytes())
    dataset = load_twitter(folder)
    assert sorted((s.id, s.label, s.text) for s in dataset) == [
        ("100", "false", "source text 100"),
        ("101", "false", "source text 101"),
    ]


def test_a_tweet_labelled_twice_differently_is_refused_naming_both_lines(tmp_path: Path) -> None:
    folder = release(tmp_path, {"100": [f"{ROOT}->{SRC}"]})
    (folder / "label.txt").write_text("false:100\ntrue:7\nfalse:100\ntrue:100\n")
    with pytest.raises(DataValidationError) as raised:
        load_twitter(folder)
    assert [str(p) for p in raised.value.problems] == [
        f"{folder / 'label.txt'}:4: sample 100: -: a second label for this tweet (line 1: 'false') "
        "(got 'true'); keep one label per tweet"
    ]


def test_a_folder_without_trees_is_refused_not_loaded_empty(tmp_path: Path) -> None:
    from priorkit.data.formats import load_format
    from priorkit.errors import PriorkitError

    folder = release(tmp_path, {"100": [f"{ROOT}->{SRC}"]})
    (folder / "tree" / "100.txt").unlink()
    with pytest.raises(
        PriorkitError, match=r"expected samples in the 'twitter' format \(got none: labels without tree: 1\)"
    ):
        load_format("twitter", folder)


def test_missing_label_file(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match=r"missing label\.txt"):
        load_twitter(tmp_path)


@pytest.mark.real_data
def test_all_of_twitter15_loads() -> None:
    dataset = load_twitter(real_data("twitter15"))
    assert len(dataset) == 1490
    assert Counter(dataset.labels) == {"non-rumor": 374, "false": 370, "true": 372, "unverified": 374}
    assert sum(s.num_nodes for s in dataset) == 599_196  # every node of every tree is kept
    changes = dataset.report.changes
    assert changes["self_loop_edges_removed"] == 1218
    assert changes["trees_with_negative_root_delay_shifted"] == 8
    assert changes["unreachable_nodes_dropped"] == 0
    assert max(int(s.depth.max()) for s in dataset) == 12
    assert all(s.text for s in dataset)
    posted = sorted(iso_time(s.created_at) for s in dataset)  # type: ignore[arg-type]  # from the tweet ids
    assert posted[0].startswith("2011-06") and posted[-1].startswith("2016-09")


@pytest.mark.parametrize("name", ["label.txt", "source_tweets.txt", "tree/100.txt"])
def test_bytes_that_are_not_utf8_are_named_by_file_and_line(tmp_path: Path, name: str) -> None:
    """A file saved in Latin-1 (or damaged) is a problem named by line, not a UnicodeDecodeError."""
    folder = release(tmp_path, {"100": [f"{ROOT}->{SRC}"]})
    lines = (folder / name).read_bytes()
    (folder / name).write_bytes(lines + b"caf\xe9\n")
    sample = "100" if name.startswith("tree") else r"\?"
    with pytest.raises(
        DataValidationError,
        match=rf"{name}:2: sample {sample}: -: not valid UTF-8 at byte 3 of the line \(got b'\\xe9\\n'\); "
        "re-save the file with UTF-8 encoding",
    ):
        load_twitter(folder)
