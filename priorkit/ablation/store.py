"""``TrialStore``: the on-disk state of a study's trials: finished, failed, or still to run.

Each trial owns ``<out>/trials/<key>/``: the run directory of its training, plus
``result.json`` once it has finished or ``error.json`` if it failed. Both are written
atomically (``write_json`` of the run directories: a temporary file, then a rename), so an
interruption never leaves a half result that a rerun would trust.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from priorkit.ablation.grid import Trial

Status = Literal["done", "failed", "pending"]
RESULT, ERROR = "result.json", "error.json"


class TrialStore:
    """Args: out: the study's output folder."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.out = Path(out)

    def folder(self, trial: Trial) -> Path:
        return self.out / "trials" / trial.key

    def status(self, trial: Trial) -> Status:
        """``done``, ``failed`` or ``pending``; a result or error file that cannot be read (torn
        by a crash outside priorkit, edited by hand, another program's) is set aside as
        ``result.json.unreadable`` (``error.json.unreadable``) and the trial counts as pending,
        so the next run redoes it."""
        folder = self.folder(trial)
        for name, status in ((RESULT, "done"), (ERROR, "failed")):
            if (folder / name).is_file():
                if _readable(folder / name, "reports" if name == RESULT else "error"):
                    return status  # type: ignore[return-value]
                os.replace(folder / name, folder / f"{name}.unreadable")
        return "pending"

    def result(self, trial: Trial) -> dict[str, Any]:
        return json.loads((self.folder(trial) / RESULT).read_text())

    def error(self, trial: Trial) -> dict[str, Any]:
        return json.loads((self.folder(trial) / ERROR).read_text())

    def statuses(self, trials: list[Trial]) -> dict[str, Status]:
        """The status of each trial, by key (one look at the disk per trial)."""
        return {t.key: self.status(t) for t in trials}


def _readable(path: Path, key: str) -> bool:
    """Whether ``path`` holds the JSON object a worker writes (with ``key``, shaped as the
    results table reads it: reports by name, each a mapping whose compliance entries name their
    prior and metric; an error's message a string)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False
    if not isinstance(data, dict) or key not in data:
        return False
    if key != "reports":
        return isinstance(data[key], str)
    reports = data["reports"]
    return isinstance(reports, dict) and all(_report_shaped(r) for r in reports.values())


_ENTRY = ("prior", "metric", "achieved", "pass")  # what each compliance entry of a report gives


def _report_shaped(report: object) -> bool:
    if not isinstance(report, dict):
        return False
    entries = report.get("compliance", [])
    return isinstance(entries, list) and all(
        isinstance(e, dict) and all(k in e for k in _ENTRY) and isinstance(e["prior"], str) for e in entries
    )
