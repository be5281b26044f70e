"""``run_trial``: train one config, then evaluate the run on further files (e.g. an OOD test).

The unit of recipes and ablation studies: one config, one run directory, one report per
evaluation file, all written into the run directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from priorkit.analysis.compliance import ComplianceEntry
from priorkit.api.evaluation import evaluate as score
from priorkit.data.dataset import TreeDataset
from priorkit.data.sources import DataSource, as_dataset
from priorkit.runs.config import RunConfig
from priorkit.runs.trained import TrainedModel
from priorkit.training.run import train


@dataclass(frozen=True)
class TrialResult:
    """Args:
    run_dir: the run directory.
    reports: evaluation report (as a dict) per name: ``test`` (the config's test file) and
        each extra file given to :func:`run_trial`.
    """

    run_dir: Path
    reports: dict[str, dict[str, Any]]

    def row(self) -> dict[str, float | None]:
        """The headline numbers, flat: ``<name>/accuracy``, reliance, root mass, compliance."""
        out: dict[str, float | None] = {}
        for name, report in self.reports.items():
            out[f"{name}/accuracy"] = report["accuracy"]
            out[f"{name}/macro_f1"] = report["macro_f1"]
            out[f"{name}/reliance_text"] = report["reliance"]["text"]
            out[f"{name}/root_attention"] = report["root_attention"]
            out[f"{name}/leaf_share"] = report["reliance_nodes"]["shares"]["leaves"]
            for entry in report.get("compliance", []):
                out[f"{name}/{entry['prior']}/{entry['metric']}"] = entry["achieved"]
        return out

    def lines(self) -> list[str]:
        """What a recipe prints: per report, accuracy, reliance, root mass and compliance."""
        out = [f"run: {self.run_dir}"]
        for name, report in self.reports.items():
            reliance = report["reliance"]
            out.append(
                f"{name}: accuracy {report['accuracy']:.3f}, macro-F1 {report['macro_f1']:.3f}, "
                f"reliance text {reliance['text']:.2f} / graph {reliance['graph']:.2f}, "
                f"root attention {report['root_attention']:.2f}, "
                f"leaf share {report['reliance_nodes']['shares']['leaves']:.2f}"
            )
            out.extend(f"  {ComplianceEntry.from_dict(e).line()}" for e in report.get("compliance", []))
        return out


def run_trial(
    config: RunConfig,
    out: str | os.PathLike[str],
    evaluate: Mapping[str, DataSource] | None = None,
    resume: bool = True,
    splits: dict[str, TreeDataset] | None = None,
) -> TrialResult:
    """Train ``config`` into ``out`` (on ``splits`` when given, as :func:`train` takes them) and
    evaluate the best checkpoint on ``evaluate`` data (``{"test_ood": path}``: files or datasets,
    as :func:`~priorkit.api.evaluation.evaluate` takes them); each report is also written to
    ``out/eval_<name>.json``. The ``evaluate`` data are read and checked against the training
    data (labels, feature width) before training starts."""
    later = {name: as_dataset(data, f"evaluate.{name}") for name, data in (evaluate or {}).items()}
    checked = {f"evaluate.{name}": dataset for name, dataset in later.items()}
    result = train(config, out, resume=resume, splits=splits, scored_later=checked)  # checked first
    reports = {"test": result.metrics["test"]}
    if later:
        trained = TrainedModel.from_run(
            result.run_dir, trust_code=True
        )  # the trial's own run; once for every file
        for name, dataset in later.items():
            report = score(
                trained,
                dataset,
                repeats=config.train.reliance_repeats,
                json_out=result.run_dir / f"eval_{name}.json",
            )
            reports[name] = report.to_dict()
    return TrialResult(result.run_dir, reports)
