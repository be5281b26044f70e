"""The plots of a study (matplotlib, PNG): accuracy with intervals, reliance shares, attention
by depth, and each sweep as prior strength against accuracy and against what it measures."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from priorkit.ablation.summary import interval
from priorkit.atomic import atomic_path
from priorkit.functional.distributions import DEPTH_BUCKETS


def _reports(table: pd.DataFrame) -> list[str]:
    names = {
        c.split(".")[0]
        for c in table.columns
        if c.endswith(".accuracy") and "." not in c[: -len(".accuracy")]
    }
    return sorted(names, key=lambda r: (r != "test", r))


def _save(figure: plt.Figure, path: Path) -> Path:
    figure.tight_layout()
    with atomic_path(path) as partial:
        figure.savefig(partial, dpi=110, format=path.suffix.lstrip(".") or "png")
    plt.close(figure)
    return path


def _finish(figure: plt.Figure, axis: plt.Axes, ylabel: str, title: str, path: Path) -> Path:
    """Shares on a 0-1 axis, arm names slanted, a legend; saved."""
    axis.set_ylabel(ylabel)
    axis.set_ylim(0, 1)
    axis.set_title(title)
    axis.tick_params(axis="x", rotation=20)
    axis.legend(fontsize=8)
    return _save(figure, path)


def accuracy_plot(table: pd.DataFrame, dataset: str, path: Path) -> Path:
    """Mean accuracy per arm on each evaluation file, with 95% intervals."""
    part = table[table["dataset"] == dataset]
    arms, reports = list(dict.fromkeys(part["arm"])), _reports(part)
    figure, axis = plt.subplots(figsize=(min(10, max(5, 1.2 * len(arms) * len(reports))), 3.6))
    width = 0.8 / len(reports)
    for k, report in enumerate(reports):
        means, errors = [], []
        for arm in arms:
            values = part[part["arm"] == arm][f"{report}.accuracy"].dropna().to_numpy(dtype=float)
            low, _ = interval(values)
            means.append(values.mean() if len(values) else np.nan)
            errors.append(0.0 if np.isnan(low) else values.mean() - low)
        axis.bar(np.arange(len(arms)) + k * width, means, width, yerr=errors, capsize=3, label=report)
    axis.set_xticks(np.arange(len(arms)) + width * (len(reports) - 1) / 2, arms, rotation=20, ha="right")
    axis.set_ylabel("accuracy (95% CI)")
    axis.set_ylim(0, 1)
    axis.set_title(f"{dataset}: accuracy per arm")
    axis.legend(fontsize=8)
    return _save(figure, path)


def reliance_plot(table: pd.DataFrame, dataset: str, path: Path) -> Path:
    """Permutation reliance shares (text, graph) per arm on the main test file."""
    part = table[table["dataset"] == dataset]
    arms = list(dict.fromkeys(part["arm"]))
    text = [part[part["arm"] == a]["test.reliance.text"].mean() for a in arms]
    figure, axis = plt.subplots(figsize=(max(5, 0.9 * len(arms)), 3.6))
    axis.bar(arms, text, label="text")
    axis.bar(arms, [1 - t for t in text], bottom=text, label="graph")
    return _finish(figure, axis, "reliance share (test)", f"{dataset}: what each arm relies on", path)


def depth_plot(table: pd.DataFrame, dataset: str, path: Path) -> Path:
    """Readout attention mass by depth (0, 1, 2, 3+) per arm, stacked."""
    part = table[table["dataset"] == dataset]
    arms = list(dict.fromkeys(part["arm"]))
    figure, axis = plt.subplots(figsize=(max(5, 0.9 * len(arms)), 3.6))
    bottom = np.zeros(len(arms))
    for bucket in DEPTH_BUCKETS:
        mass = np.asarray([part[part["arm"] == a][f"test.attention_by_depth.{bucket}"].mean() for a in arms])
        axis.bar(arms, mass, bottom=bottom, label=f"depth {bucket}")
        bottom += mass
    return _finish(figure, axis, "readout attention mass (test)", f"{dataset}: attention by depth", path)


def sweep_plot(table: pd.DataFrame, dataset: str, prior: str, arg: str, path: Path) -> Path:
    """Prior strength against accuracy (every evaluation file) and against the prior's
    measured compliance values, means with 95% intervals."""
    part = table[
        (table["dataset"] == dataset) & (table["sweep.prior"] == prior) & (table["sweep.arg"] == arg)
    ]
    values = sorted(part["sweep.value"].unique())
    measured = [
        c for c in part.columns if c.startswith(f"test.compliance.{prior}.") and not c.endswith(".pass")
    ]
    columns = [f"{r}.accuracy" for r in _reports(part)] + measured
    figure, axis = plt.subplots(figsize=(5.5, 3.6))
    for column in columns:
        means, errors = [], []
        for value in values:
            data = part[part["sweep.value"] == value][column].dropna().to_numpy(dtype=float)
            low, _ = interval(data)
            means.append(data.mean() if len(data) else np.nan)
            errors.append(0.0 if np.isnan(low) else data.mean() - low)
        axis.errorbar(
            values, means, yerr=errors, marker="o", capsize=3, label=column.removeprefix("test.compliance.")
        )
    axis.set_xlabel(f"{prior}.{arg}")
    axis.set_title(f"{dataset}: sweep of {prior}.{arg}")
    axis.legend(fontsize=8)
    return _save(figure, path)


def make_plots(table: pd.DataFrame, folder: Path) -> list[Path]:
    """Every plot of the finished trials in ``table`` into ``folder``; returns their paths. Names
    are drawn as written (an arm ``a$b`` is not read as mathtext)."""
    with plt.rc_context({"text.parse_math": False}):
        return _plots(table, folder)


def _plots(table: pd.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    done = table[table["status"] == "done"]
    paths = []
    for dataset in dict.fromkeys(done["dataset"]):
        paths.append(accuracy_plot(done, dataset, folder / f"{dataset}_accuracy.png"))
        paths.append(reliance_plot(done, dataset, folder / f"{dataset}_reliance.png"))
        paths.append(depth_plot(done, dataset, folder / f"{dataset}_depth.png"))
        if "sweep.prior" in done.columns:
            sweeps = done.dropna(subset=["sweep.prior"])[["sweep.prior", "sweep.arg"]].drop_duplicates()
            for prior, arg in sweeps.itertuples(index=False):
                paths.append(
                    sweep_plot(done, dataset, prior, arg, folder / f"{dataset}_sweep_{prior}_{arg}.png")
                )
    return paths
