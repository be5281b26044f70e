"""One process at a time in a run folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from priorkit.errors import PriorkitError
from priorkit.runs.lock import run_lock

HOLD = """
import sys, time
from pathlib import Path
from priorkit.runs.lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_process_is_refused_while_the_first_trains(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = pytest.raises(
            PriorkitError, match=r"expected a run folder no other process trains in .*another --out"
        )
        with refused, run_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()
    with run_lock(tmp_path):  # the holder died: its lock went with it
        pass


def test_the_lock_is_released_after_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError), run_lock(tmp_path):
        raise ValueError("boom")
    with run_lock(tmp_path):
        pass
