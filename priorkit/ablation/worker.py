"""``run_one``: what a worker does with one trial: train, evaluate, record (never raise)."""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any

from priorkit.ablation.folds import collection, pool, trial_split
from priorkit.ablation.grid import Trial
from priorkit.ablation.store import ERROR, RESULT, TrialStore
from priorkit.api.trial import run_trial
from priorkit.atomic import write_json
from priorkit.training.quiet import silence


def execute(trial: Trial, run_dir: Path) -> dict[str, Any]:
    """Train and evaluate one trial; returns the reports by name."""
    config = trial.config
    splits = None
    if trial.fold is not None:
        dataset = pool(trial.source, trial.format, trial.labels, config, trial.periods, trial.node_features)
        split = trial_split(trial, dataset)
        splits = {"train": dataset[split.train], "val": dataset[split.val], "test": dataset[split.test]}
    evaluate = {
        name: entry if isinstance(entry, str) else collection(entry, config)
        for name, entry in trial.evaluate.items()
    }
    return run_trial(config, run_dir, evaluate, resume=True, splits=splits).reports


def run_one(trial: Trial, out: str) -> tuple[str, str]:
    """Run ``trial`` into the study folder ``out``; writes ``result.json`` or ``error.json``
    and returns ``(key, "done" | "failed")``. A failure never escapes: the grid goes on."""
    silence()  # the grid's one progress bar; each trial's train.log keeps priorkit's messages
    store = TrialStore(out)
    folder = store.folder(trial)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.time()
    identity = {
        "key": trial.key,
        "dataset": trial.dataset,
        "arm": trial.arm,
        "seed": trial.seed,
        "fold": trial.fold,
    }
    try:
        reports = execute(trial, folder / "run")
    except Exception as error:
        write_json(
            folder / ERROR,
            {**identity, "error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()},
        )
        return trial.key, "failed"
    (folder / ERROR).unlink(missing_ok=True)
    write_json(
        folder / RESULT,
        {**identity, "sweep": trial.sweep, "seconds": time.time() - started, "reports": reports},
    )
    return trial.key, "done"
