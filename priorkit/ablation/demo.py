"""``priorkit demo``: the synthetic study of the recipes, end to end, with its report."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from priorkit.ablation.report import write_report
from priorkit.ablation.runner import StudyRun, run_study
from priorkit.errors import PriorkitError

STUDY = Path(__file__).resolve().parent / "demo_study.yaml"  # package data: works from a wheel


@dataclass(frozen=True)
class DemoResult:
    """Args: run: the study run; report: the HTML page; summary: the Markdown summary."""

    run: StudyRun
    report: Path
    summary: Path


def run_demo(
    out: str | os.PathLike[str] = "runs/demo", workers: int = 2, progress: bool = True
) -> DemoResult:
    """Run the packaged ``demo_study.yaml`` (the study of ``recipes/synthetic_study.yaml``: every
    prior strategy and the baseline, 3 seeds, on the synthetic reviews of ``datasets/synthetic``,
    generated into ``out/data``, offline default encoder) into ``out`` and write its report.
    Rerunning resumes: finished trials are kept."""
    if not STUDY.is_file():
        raise PriorkitError(
            f"demo: expected the study file {STUDY} inside the installed package (got no such file). "
            "Reinstall priorkit."
        )
    run = run_study(STUDY, out, "local", workers, progress=progress)
    report = write_report(out)
    return DemoResult(run, report, report.parent / "summary.md")
