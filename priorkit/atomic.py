"""``atomic_write``: the one way priorkit writes a file that others may read while it is written.

The content goes to a temporary file beside the target (same folder, so the same filesystem),
is flushed and fsynced, then renamed over the target: a reader sees the old file or the new
one, never a torn one, and a failed write (full disk, Ctrl-C) leaves the old file in place.
A target that is a device or a pipe (``--out /dev/null``) is written to directly: renaming a
file over it would replace the device.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from priorkit.errors import PriorkitError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on a clean exit it replaces ``path``.

    Args:
        path: the target file (its folder is created).
        mode: ``"w"`` (UTF-8 text, newlines as written) or ``"wb"``.
    """
    target = writable_file(Path(path))
    encoding = {"encoding": "utf-8", "newline": ""} if mode == "w" else {}
    if is_special_file(target):  # /dev/null, a pipe: written to as it is, never replaced by a file
        with open(target, mode, **encoding) as handle:  # type: ignore[call-overload]
            yield handle
        return
    partial = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with open(partial, mode, **encoding) as handle:  # type: ignore[call-overload]
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def atomic_path(path: str | os.PathLike[str]) -> contextlib.AbstractContextManager[Path]:
    """A temporary path beside ``path`` for writers that take a file name (``torch.save``,
    safetensors); on a clean exit the file is fsynced and renamed over ``path``."""
    return _atomic_path(Path(path))


@contextlib.contextmanager
def _atomic_path(target: Path) -> Iterator[Path]:
    writable_file(target)
    if is_special_file(target):
        raise PriorkitError(
            f"{target}: expected a file to write a model file into (got a device or pipe). Give a file path."
        )
    partial = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def is_special_file(target: Path) -> bool:
    """Whether ``target`` exists and is neither a regular file nor a folder (a device, a pipe)."""
    return target.exists() and not target.is_file() and not target.is_dir()


def writable_file(target: Path) -> Path:
    """``target`` with its folder created; a target that is a folder, or whose folder cannot be
    made, is refused by name (not as an OS error about a temporary file).

    Raises:
        PriorkitError: naming the path and the fix.
    """
    if target.is_dir():
        raise PriorkitError(f"{target}: expected a file to write (got a folder). Give a file name.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PriorkitError(
            f"{target}: expected a folder that exists or can be made for it (got {error.strerror}: "
            f"{error.filename}). Give another path."
        ) from None
    return target


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """``data`` as indented, key-sorted JSON, written atomically."""
    with atomic_write(path) as handle:
        handle.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
