"""``results.csv``: one row per trial with every metric of its evaluation reports, flat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from priorkit.ablation.family import family_table
from priorkit.ablation.folds import load_leakage
from priorkit.ablation.grid import Trial
from priorkit.ablation.store import TrialStore
from priorkit.ablation.study import StudyConfig
from priorkit.ablation.summary import summarise, validation_text, write_summary
from priorkit.atomic import atomic_write
from priorkit.escaping import csv_cell

IDENTITY = ["dataset", "arm", "seed", "fold", "status", "error"]


def flatten(report: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Numeric leaves of a report as ``prefix.a.b`` columns; compliance entries as
    ``prefix.compliance.<prior>.<metric>`` (achieved), ``....pass`` and, for an enforced rule,
    ``....multiplier`` (its multiplier at the end of training)."""
    out: dict[str, Any] = {}
    for key, value in report.items():
        name = f"{prefix}.{key}"
        if key == "compliance":
            for entry in value:
                where = f"{prefix}.compliance.{entry['prior']}.{entry['metric']}"
                out[where], out[f"{where}.pass"] = entry["achieved"], entry["pass"]
                if entry.get("multiplier") is not None:
                    out[f"{where}.multiplier"] = entry["multiplier"]
        elif isinstance(value, dict):
            out.update(flatten(value, name))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = value
    return out


def trial_row(trial: Trial, store: TrialStore) -> dict[str, Any]:
    status = store.status(trial)
    row: dict[str, Any] = {
        "dataset": trial.dataset,
        "arm": trial.arm,
        "seed": trial.seed,
        "fold": "fixed" if trial.fold is None else trial.fold,
        "status": status,
        "error": store.error(trial)["error"] if status == "failed" else "",
    }
    if trial.sweep is not None:
        row.update(
            {
                "sweep.prior": trial.sweep["prior"],
                "sweep.arg": trial.sweep["arg"],
                "sweep.value": trial.sweep["value"],
            }
        )
    if status == "done":
        for name, report in store.result(trial)["reports"].items():
            row.update(flatten(report, name))
    return row


def write_results(study: StudyConfig, trials: list[Trial], store: TrialStore, out: Path) -> pd.DataFrame:
    """Write ``results.csv`` (every trial) and ``summary.md`` (finished ones); return the rows."""
    table = pd.DataFrame([trial_row(t, store) for t in trials])
    with atomic_write(out / "results.csv") as handle:
        escaped = table.rename(columns=csv_cell).apply(lambda column: column.map(csv_cell))
        escaped.to_csv(handle, index=False)
    summary = summarise(table[table["status"] == "done"], study.baseline)
    family = family_table(table, study)
    validation = validation_text(study.folds)
    write_summary(summary, out / "summary.md", table, study.baseline, family, load_leakage(out), validation)
    return table
