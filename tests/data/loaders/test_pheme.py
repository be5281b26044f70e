import json
from collections import Counter
from pathlib import Path

import pytest

from priorkit.data.loaders.pheme import load_pheme
from priorkit.data.problems import DataValidationError
from priorkit.data.times import iso_time
from tests.conftest import real_data

TIME = "Wed Jan 07 11:{:02d}:00 +0000 2015"


def tweet(text: str, parent: int | None, minute: int) -> dict:
    return {"text": text, "userid": 7, "tweet_time": TIME.format(minute), "parent_tweetid": parent}


def test_thread_with_a_missing_parent_and_an_unlabelled_thread(tmp_path: Path) -> None:
    threads = {
        "10": {
            "label": 1,
            "root_tweetid": 10,
            "event_name": "ev",
            "10": tweet("source", None, 0),
            "11": tweet("reply", 10, 5),
            "12": tweet("orphan", 99, 7),
        },
        "20": {"label": None, "root_tweetid": 20, "event_name": "ev", "20": tweet("x", None, 0)},
    }
    (tmp_path / "ev.json").write_text(json.dumps(threads))
    dataset = load_pheme(tmp_path)
    (sample,) = dataset
    assert (sample.label, sample.group, sample.text) == ("false", "ev", "source")
    assert sample.node_text == ["source", "reply", "orphan"]
    assert sample.depth.tolist() == [0, 1, 1]
    assert sample.time.tolist() == [0.0, 5.0, 7.0]
    assert iso_time(sample.created_at) == "2015-01-07T11:00:00Z"  # type: ignore[arg-type]  # the source's time
    assert dataset.report.changes["missing_parents_attached_to_root"] == 1
    assert [d.id for d in dataset.report.dropped] == ["20"]


def test_broken_event_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(DataValidationError, match=r"bad\.json:1: .*not a valid JSON file"):
        load_pheme(tmp_path)


def test_an_event_file_that_is_not_utf8_is_named_by_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b'{\n"a": "caf\xe9"}')
    with pytest.raises(DataValidationError, match=r"bad\.json:2: .*not valid UTF-8 at byte 9 of the line"):
        load_pheme(tmp_path)


@pytest.mark.real_data
def test_real_pheme_events() -> None:
    dataset = load_pheme(real_data("pheme6"))
    assert len(dataset) + len(dataset.report.dropped) == 1982
    assert len(dataset.report.dropped) == 1
    assert set(dataset.groups) == {
        "ebola",
        "germanwings",
        "gurlitt",
        "ottawashooting",
        "prince",
        "putinmissing",
    }
    assert Counter(dataset.labels) == {"non-rumour": 843, "false": 428, "true": 482, "unverified": 228}
    assert all(s.node_text is not None and all(s.node_text) for s in dataset)
    # deepest reply chain in edges, as this loader measures it (SOURCES.md says "up to 19";
    # it may count levels differently)
    assert max(int(s.depth.max()) for s in dataset) == 20


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([1, 2], r"ev\.json:0: sample -: -: expected a JSON object of thread id -> thread \(got \[1, 2\]\)"),
        ({"10": [1]}, r"ev\.json:0: sample 10: -: expected a thread object \(got \[1\]\)"),
        (
            {"10": {"label": 7, "root_tweetid": 10, "10": tweet("s", None, 0)}},
            r"sample 10: label: expected one of 0 non-rumour, 1 false, 2 true, 3 unverified \(got 7\)",
        ),
        (
            {"10": {"label": 1, "root_tweetid": 10, "10": tweet("s", None, 0), "11": "reply"}},
            r"sample 10: 11: expected a tweet object \(got 'reply'\)",
        ),
    ],
    ids=["event a list", "thread a list", "label out of range", "tweet a string"],
)
def test_a_file_of_another_shape_is_named(tmp_path: Path, event: object, message: str) -> None:
    (tmp_path / "ev.json").write_text(json.dumps(event))
    with pytest.raises(DataValidationError, match=message):
        load_pheme(tmp_path)


def test_an_unreadable_time_is_counted(tmp_path: Path) -> None:
    thread = {
        "label": 0,
        "root_tweetid": 10,
        "10": tweet("s", None, 0),
        "11": {**tweet("r", 10, 3), "tweet_time": "garbage"},
    }
    (tmp_path / "ev.json").write_text(json.dumps({"10": thread}))
    dataset = load_pheme(tmp_path)
    assert dataset.report.changes["unreadable_times_left_unknown"] == 1


def one_thread() -> dict:
    return {"label": 1, "root_tweetid": 1, "1": tweet("source", None, 0)}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"ev.json": '{"10": {"label": 1}, "10": {"label": 2}}'},
            r"ev.json:0: .*the key '10' given twice in one object",
        ),
        ({"ev.json": "[" * 100_000 + "]" * 100_000}, r"ev.json:0: .*JSON nested too deeply to read"),
        (
            {"a.json": json.dumps({"t1": one_thread()}), "b.json": json.dumps({"t1": one_thread()})},
            r"b.json:0: sample t1: .*a thread id already in .*a.json",
        ),
    ],
    ids=["key given twice", "deep", "thread in two files"],
)
def test_an_event_file_that_would_lose_or_repeat_a_thread_is_named(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(DataValidationError, match=message):
        load_pheme(tmp_path)
