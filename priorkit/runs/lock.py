"""``run_lock``: one process at a time trains in a run folder (a file lock, portable)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from priorkit.errors import PriorkitError

LOCK = ".lock"


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir/.lock`` while the body runs; another holder is refused at once.

    Raises:
        PriorkitError: another process trains in ``run_dir``.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(run_dir / LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise PriorkitError(
            f"{run_dir}: expected a run folder no other process trains in (got one locked by another "
            f"process: {run_dir / LOCK}). Wait for it to finish, or train into another --out."
        ) from None
    try:
        yield
    finally:
        lock.release()
