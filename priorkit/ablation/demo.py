"""``priorkit demo``: the synthetic study of the recipes, end to end, with its report."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from priorkit.ablation.report import write_report
from priorkit.ablation.runner import StudyRun, run_study
from priorkit.errors import PriorkitError

STUDY = Path(__file__).resolve().parents[2] / "recipes" / "synthetic_study.yaml"


@dataclass(frozen=True)
class DemoResult:
    """Args: run: the study run; report: the HTML page; summary: the Markdown summary."""

    run: StudyRun
    report: Path
    summary: Path


def run_demo(
    out: str | os.PathLike[str] = "runs/demo", workers: int = 2, progress: bool = True
) -> DemoResult:
    """Run ``recipes/synthetic_study.yaml`` (every prior strategy and the baseline, 3 seeds, on
    the shipped synthetic data, offline default encoder) into ``out`` and write its report.
    Rerunning resumes: finished trials are kept."""
    if not STUDY.is_file():
        raise PriorkitError(
            f"demo: expected the study file {STUDY} (got no such file). The demo runs from a clone of "
            'the repository installed with pip install -e ".[dev]".'
        )
    run = run_study(STUDY, out, "local", workers, progress=progress)
    report = write_report(out)
    return DemoResult(run, report, report.parent / "summary.md")
