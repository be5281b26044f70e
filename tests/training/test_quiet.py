"""Training prints nothing the user did not ask for: no Lightning banner, tip, notice or warning
on the terminal; one progress bar when asked; Lightning's messages back with verbose."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from priorkit.training.quiet import LIGHTNING_LOGGERS, quiet

FIT = """
import sys
import priorkit as pk
pk.fit(sys.argv[1], out=sys.argv[2], overrides=sys.argv[4:], verbose={verbose})
"""


def _fit(config_file: Path, out: Path, verbose: str, *sets: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # Python's default warning filters, as a user has them
    env.pop("PYTHONWARNINGS", None)
    code = FIT.format(verbose=verbose)
    return subprocess.run(
        [sys.executable, "-c", code, str(config_file), str(out), "--", *sets],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=True,
    )


def test_a_fit_prints_nothing_and_one_bar_when_asked(config_file: Path, tmp_path: Path) -> None:
    silent = _fit(config_file, tmp_path / "a", "None", "train.epochs=2")
    assert silent.stdout == "" and silent.stderr == ""
    bar = _fit(config_file, tmp_path / "b", "None", "train.epochs=2", "train.progress_bar=true")
    assert bar.stdout == ""
    lines = [line for line in bar.stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert lines and all(line.startswith(("Training", "Epoch ")) for line in lines), lines[:5]
    assert "Sanity" not in bar.stderr and "Validation" not in bar.stderr


def test_verbose_brings_lightnings_messages_back(config_file: Path, tmp_path: Path) -> None:
    loud = _fit(config_file, tmp_path / "c", "True", "train.epochs=1")
    assert "GPU available" in loud.stdout + loud.stderr


def test_quiet_restores_the_logging_levels_it_changed() -> None:
    loggers = [logging.getLogger(name) for name in LIGHTNING_LOGGERS]
    before = [logger.level for logger in loggers]
    with quiet():
        assert all(logger.level == logging.WARNING for logger in loggers)
    assert [logger.level for logger in loggers] == before
