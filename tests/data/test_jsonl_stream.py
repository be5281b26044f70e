"""JsonlStream: a file's samples read on demand, equal to reading it whole; its refusals."""

from __future__ import annotations

import os
import pickle
from functools import partial
from pathlib import Path

import pytest

from priorkit.data.budget import first_nodes
from priorkit.data.jsonl import read_jsonl
from priorkit.data.jsonl_stream import JsonlStream
from priorkit.data.problems import DataValidationError
from priorkit.errors import PriorkitError
from tests.conftest import assert_same_samples, record


def test_random_access_and_iteration_equal_reading_the_file_whole(write_lines, small_data: Path) -> None:  # type: ignore[no-untyped-def]
    lines = (small_data / "train.jsonl").read_text().splitlines()
    # a byte-order mark, and blank lines between samples (not samples)
    path = write_lines(["\ufeff" + lines[0], "", "   ", *lines[1:]])
    whole = read_jsonl(path)
    stream = JsonlStream(path)
    assert len(stream) == len(whole) == 48
    assert_same_samples([stream[i] for i in range(len(stream))], whole)
    assert_same_samples(list(stream), whole)
    assert_same_samples([stream[-1], stream[0]], [whole[-1], whole[0]])
    assert stream[5].source == whole[5].source  # file and line, as read_jsonl names them
    with pytest.raises(IndexError):
        stream[48]


def test_a_transform_applies_to_every_sample_read(small_data: Path) -> None:
    budget = partial(first_nodes, max_nodes=2, order="time")
    stream = JsonlStream(small_data / "train.jsonl").mapped(budget)
    assert max(s.num_nodes for s in stream) == 2 and stream[3].num_nodes <= 2
    twice = stream.mapped(partial(first_nodes, max_nodes=1, order="time"))
    assert twice[3].num_nodes == 1 and stream[3].num_nodes == 2  # mapped() leaves the first alone


def test_iteration_lists_every_bad_line_after_yielding_the_good_ones(write_lines) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a"), "{not json", record("b", nodes=[]), record("a")])
    stream = JsonlStream(path)
    seen = []
    with pytest.raises(DataValidationError) as error:
        for sample in stream:
            seen.append(sample.id)
    assert seen == ["a"]
    text = str(error.value)
    assert f"{path}:2" in text and "not valid JSON" in text
    assert f"{path}:3" in text and f"{path}:4" in text and "duplicate sample id" in text


def test_reading_a_bad_line_names_its_file_and_line(write_lines) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a"), record("b", label=None, nodes=[{"id": "x", "parent": "y"}])])
    stream = JsonlStream(path)
    assert stream[0].id == "a"
    with pytest.raises(DataValidationError, match=f"{path}:2"):
        stream[1]


def test_a_line_too_long_is_refused_without_being_read(write_lines, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a"), record("b", text="x" * 3_000_000)])
    monkeypatch.setenv("PRIORKIT_MAX_LINE_MB", "1")
    stream = JsonlStream(path)
    assert len(stream) == 2 and stream[0].id == "a"
    with pytest.raises(DataValidationError, match="more than the 1,048,576"):
        stream[1]


def test_empty_missing_and_changed_files(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    with pytest.raises(DataValidationError, match="the file is empty"):
        JsonlStream(empty)
    with pytest.raises(DataValidationError, match="cannot read the file"):
        JsonlStream(tmp_path / "missing.jsonl")
    path = write_lines([record("a"), record("b")])
    stream = JsonlStream(path)
    assert stream[0].id == "a"  # the file is open now; a change is still seen
    with path.open("a") as handle:
        handle.write("\n")
    os.utime(path, ns=(1, 1))
    with pytest.raises(PriorkitError, match="must not change while it is used"):
        stream[0]


def test_memory_holds_offsets_not_samples(small_data: Path) -> None:
    """Pickled (as a data-loader worker gets it), a stream is its line offsets: a few bytes a
    line, far below the file; and it reads again after unpickling."""
    path = small_data / "train.jsonl"
    stream = JsonlStream(path)
    stream[0]  # an open file is not pickled
    copy = pickle.loads(pickle.dumps(stream))
    assert len(pickle.dumps(stream)) < path.stat().st_size / 10
    assert_same_samples([copy[7]], [stream[7]])
