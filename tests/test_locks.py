"""A second writer of a folder or an output file is refused at once; an output never replaces an
input; a lock dies with its holder and leaves no file behind an output."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from priorkit.errors import PriorkitError
from priorkit.locks import folder_lock, output_lock, refuse_overwriting

HOLD = """
import sys, time
from pathlib import Path
from priorkit.locks import folder_lock, output_lock
kind, path = sys.argv[1], Path(sys.argv[2])
lock = output_lock(path) if kind == "output" else folder_lock(path, "x", "y")
with lock:
    print("held", flush=True)
    time.sleep(60)
"""


@contextmanager
def held_elsewhere(kind: str, path: Path) -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, kind, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_a_second_writer_of_an_output_is_refused_and_the_lock_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "predictions.jsonl"
    with (
        held_elsewhere("output", out),
        pytest.raises(PriorkitError, match=r"predictions.jsonl: expected an output no other process writes"),
        output_lock(out),
    ):
        pass
    with output_lock(out):  # the holder died: its lock went with it
        out.write_text("mine")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predictions.jsonl"]


def test_a_folder_lock_refuses_another_process_and_is_released_after_an_error(tmp_path: Path) -> None:
    refused = pytest.raises(PriorkitError, match=r"study: expected a study folder .*Wait for it")
    second = folder_lock(tmp_path / "study", "a study folder", "Wait for it.")
    with held_elsewhere("folder", tmp_path / "study"), refused, second:
        pass
    with pytest.raises(ValueError), folder_lock(tmp_path / "study", "a study folder", "Wait."):
        raise ValueError("boom")
    with folder_lock(tmp_path / "study", "a study folder", "Wait."):
        pass


def test_an_output_that_is_an_input_is_refused_by_path_link_or_hard_link(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text("{}\n")
    (tmp_path / "link.jsonl").symlink_to(data)
    os.link(data, tmp_path / "hard.jsonl")
    for out in (data, tmp_path / "." / "data.jsonl", tmp_path / "link.jsonl", tmp_path / "hard.jsonl"):
        with pytest.raises(
            PriorkitError, match=r"expected an output other than the input --data \(got the same file\)"
        ):
            refuse_overwriting(out, {"--data": data})
    refuse_overwriting(tmp_path / "other.jsonl", {"--data": data})
    assert data.read_text() == "{}\n"


def test_an_output_where_no_lock_can_be_made_is_not_called_locked(tmp_path: Path) -> None:
    refused = pytest.raises(PriorkitError, match=r"^/proc: expected a folder priorkit can write in")
    with refused, output_lock(Path("/proc/version")):  # Linux (CI): /proc refuses new files, even to root
        pass


def test_an_output_that_is_a_device_or_pipe_is_not_locked_beside_itself(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from priorkit.locks import output_lock

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with output_lock(pipe):  # /dev/null: no `.null.lock` in /dev, which only root may write
        assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_a_jsonl_file_in_an_input_folder_may_be_replaced_and_other_files_there_may_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from priorkit.errors import PriorkitError
    from priorkit.locks import refuse_overwriting

    (tmp_path / "label.txt").write_text("x")
    (tmp_path / "data.jsonl").write_text("{}")
    refuse_overwriting(tmp_path / "data.jsonl", {"source": tmp_path})  # an earlier output, converted again
    refuse_overwriting(tmp_path / "new.txt", {"source": tmp_path})
    with pytest.raises(PriorkitError, match=r"label.txt: expected a new file, a JSONL file or one outside"):
        refuse_overwriting(tmp_path / "label.txt", {"source": tmp_path})
