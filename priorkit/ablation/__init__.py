"""Ablation studies: a study file expanded into trials, run resumably by an executor,
aggregated into ``results.csv`` and ``summary.md``."""

from priorkit.ablation.executors import EXECUTORS
from priorkit.ablation.finished import FinishedArm, finished_arm
from priorkit.ablation.grid import Trial, expand
from priorkit.ablation.runner import StudyRun, run_study
from priorkit.ablation.study import CollectionConfig, StudyConfig, load_study
from priorkit.ablation.summary import summarise

__all__ = [
    "EXECUTORS",
    "CollectionConfig",
    "FinishedArm",
    "StudyConfig",
    "StudyRun",
    "Trial",
    "expand",
    "finished_arm",
    "load_study",
    "run_study",
    "summarise",
]
