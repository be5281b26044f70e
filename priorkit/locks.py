"""Locks that refuse a second writer at once: of a folder (a run, a study, a saved model) or of
one output file (predictions, a report). Portable file locks (``filelock``): a lock dies with
the process that holds it, so a killed writer never leaves a folder locked."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from priorkit.atomic import is_special_file, writable_file
from priorkit.errors import PriorkitError
from priorkit.paths import resolved

FOLDER_LOCK = ".lock"


@contextlib.contextmanager
def folder_lock(folder: Path, what: str, fix: str) -> Iterator[None]:
    """Hold ``folder/.lock`` while the body runs (the folder is created; the lock file is
    removed afterwards, so a saved model folder holds only the model).

    Args:
        what: what the folder is, for the refusal (``"a run folder no other process trains in"``).
        fix: what to do instead (``"Wait for it to finish, or train into another --out."``).

    Raises:
        PriorkitError: another process holds the lock.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PriorkitError(
            f"{folder}: expected a folder that exists or can be made (got {error.strerror}: "
            f"{error.filename}). Give another path."
        ) from None
    with _held(folder / FOLDER_LOCK, f"{folder}: expected {what}", fix):
        yield


@contextlib.contextmanager
def output_lock(path: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside the output file ``path`` while it is written; the lock file
    is removed afterwards.

    Raises:
        PriorkitError: another process writes ``path`` now.
    """
    writable_file(path)
    if is_special_file(path):  # a device or pipe (/dev/null): nothing to guard
        yield
        return
    lock = path.with_name(f".{path.name}.lock")
    fix = "Wait for it to finish, or write to another file."
    with _held(lock, f"{path}: expected an output no other process writes", fix):
        yield


def refuse_overwriting(out: Path, inputs: dict[str, Path]) -> None:
    """Refuse an output that is one of the inputs, or a file already in an input folder (it would
    replace what is being read: the data, a file of the model in use, a file of a dataset's
    folder); a new file in an input folder is fine, and so is a JSONL file there (an earlier
    output: no dataset folder's loader reads JSONL files).

    Args:
        inputs: each input's name (``"data"``, ``"a file of the model"``) and path.

    Raises:
        PriorkitError: naming the output and the input it would replace.
    """
    target = resolved(out)
    for name, source in inputs.items():
        origin = resolved(source)
        if target == origin or (out.exists() and source.exists() and out.samefile(source)):
            raise PriorkitError(
                f"{out}: expected an output other than the input {name} (got the same file). Write "
                "to another file; the input is not changed."
            )
        inside = source.is_dir() and target.is_relative_to(origin)
        if inside and out.is_file() and out.suffix != ".jsonl":  # a JSONL file there: an earlier output
            raise PriorkitError(
                f"{out}: expected a new file, a JSONL file or one outside the input {name} {source} (got a "
                "file of that folder, which may be one being read). Write to another file; the input is "
                "not changed."
            )


@contextlib.contextmanager
def _held(lock_path: Path, refusal: str, fix: str) -> Iterator[None]:
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not lock_path.exists():  # no one holds it: it could not be made
            raise PriorkitError(
                f"{lock_path.parent}: expected a folder priorkit can write in (got one where "
                f"{lock_path.name} cannot be made). Write somewhere else."
            ) from None
        raise PriorkitError(f"{refusal} (got one locked by another process: {lock_path}). {fix}") from None
    try:
        yield
    finally:
        lock_path.unlink(missing_ok=True)  # before release: no one else holds it yet
        lock.release()
