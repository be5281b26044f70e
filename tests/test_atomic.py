"""The one atomic-write helper: readers see the old file or the new one, never a torn one."""

from __future__ import annotations

from pathlib import Path

import pytest

from priorkit.atomic import atomic_path, atomic_write, write_json


def test_a_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.json"
    write_json(target, {"b": 1, "a": [1, 2]})
    assert target.read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    with atomic_path(target) as partial:
        partial.write_bytes(b"new")
    assert target.read_bytes() == b"new" and [p.name for p in target.parent.iterdir()] == ["a.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(OSError, match="disk full"), atomic_write(target) as handle:
        handle.write("half of the ne")
        raise OSError("disk full")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as partial:
        partial.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_pipe_or_device_is_written_to_and_never_replaced_by_a_file(tmp_path: Path) -> None:
    import os
    import stat
    import threading

    from priorkit.errors import PriorkitError

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()), daemon=True)
    reader.start()
    write_json(pipe, {"a": 1})  # as `priorkit predict --out /dev/null` writes to the device
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert received == ['{\n  "a": 1\n}\n'] and stat.S_ISFIFO(pipe.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]
    with (
        pytest.raises(
            PriorkitError, match=r"pipe: expected a file to write a model file into \(got a device"
        ),
        atomic_path(pipe),
    ):
        pass
