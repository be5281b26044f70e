"""``run_lock``: one process at a time trains in a run folder (see :mod:`priorkit.locks`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from priorkit.locks import folder_lock


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir/.lock`` while the body runs; another holder is refused at once.

    Raises:
        PriorkitError: another process trains in ``run_dir``.
    """
    what = "a run folder no other process trains in"
    with folder_lock(run_dir, what, "Wait for it to finish, or train into another --out."):
        yield
