"""``finished_arm``: the trained runs of one arm of a finished folded study, with the data and the
folds they were trained on, for analyses that read a study without retraining anything."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from priorkit.ablation.folds import pool, split_file, trial_split
from priorkit.ablation.grid import expand
from priorkit.ablation.store import TrialStore
from priorkit.ablation.study import load_study
from priorkit.data.dataset import TreeDataset
from priorkit.data.splits import Split
from priorkit.errors import ConfigError
from priorkit.runs.config import RunConfig


@dataclass(frozen=True)
class FinishedArm:
    """Args:
    dataset_name: the study's dataset the arm was run on.
    config: the arm's training config (seed of its first trial).
    dataset: every sample of that dataset, as the folds index them.
    folds: the study's saved folds, in order.
    runs: per fold (same order), the run folder of each seed.
    """

    dataset_name: str
    config: RunConfig
    dataset: TreeDataset
    folds: list[Split]
    runs: list[list[Path]]


def finished_arm(
    study_file: str | os.PathLike[str], out: str | os.PathLike[str], arm: str, dataset: str | None = None
) -> FinishedArm:
    """The arm ``arm`` on ``dataset`` (default: the study's first) of the folded study in
    ``study_file`` that ran into ``out``.

    Raises:
        ConfigError: ``out`` holds no folds of that dataset, or the study has no such arm.
    """
    study, base = load_study(study_file)
    folder = Path(out)
    names = list(study.datasets or {})
    dataset = dataset or (names[0] if names else None)
    files = {name: split_file(folder, name) for name in names}
    if study.folds is None or dataset not in files or not files[dataset].is_file():
        raise ConfigError(
            f"{folder}: expected the folder of a folded study of {study_file} with its folds of "
            f"{dataset!r} in splits/ (datasets: {', '.join(names)}; run the study first)."
        )
    folds = {n: (len(json.loads(f.read_text())["folds"]), str(f)) for n, f in files.items() if f.is_file()}
    trials = [t for t in expand(study, base, folds) if t.arm == arm and t.dataset == dataset]
    if not trials:
        raise ConfigError(f"arm: expected one of {', '.join(study.arms)} (got {arm!r}) in {study_file}.")
    first = trials[0]
    samples = pool(first.source, first.format, first.labels, first.config, first.periods, first.node_features)
    store = TrialStore(folder)
    order = sorted({t.fold for t in trials if t.fold is not None})
    return FinishedArm(
        dataset_name=dataset,
        config=first.config,
        dataset=samples,
        folds=[trial_split(next(t for t in trials if t.fold == k), samples) for k in order],
        runs=[[store.folder(t) / "run" for t in trials if t.fold == k] for k in order],
    )
