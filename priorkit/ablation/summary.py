"""The statistics of a study: per dataset, arm and metric, mean +- std with a 95% confidence
interval, and a paired comparison with the baseline arm over matched seeds and folds.

The test is the paired t-test (``scipy.stats.ttest_rel``) on the per-(seed, fold)
differences; the effect size is Cohen's d_z, the mean difference over the standard
deviation of the differences. With fewer than two matched pairs neither is defined.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from priorkit.analysis.leakage import LeakageReport
from priorkit.atomic import atomic_write
from priorkit.data.split_plan import SplitConfig
from priorkit.errors import ConfigError
from priorkit.escaping import markdown_text

HEADLINE = (
    "accuracy",
    "macro_f1",
    "reliance.text",
    "root_attention",
    "reliance_nodes.shares.leaves",
    "groups.probe_excess",  # on data of two groups or more (see priorkit.analysis.groups)
    "groups.probe_excess_within_class",
    "groups.worst_group_accuracy",
)
TEST = "paired t-test over matched (seed, fold) pairs"


def metric_columns(table: pd.DataFrame) -> list[str]:
    """The headline metrics of every report present (``test.accuracy``, ``test_ood.accuracy``, ...)
    and every compliance value."""
    reports = sorted(
        {c.split(".")[0] for c in table.columns if c.endswith(".accuracy")}, key=lambda r: (r != "test", r)
    )
    columns = [f"{r}.{m}" for r in reports for m in HEADLINE if f"{r}.{m}" in table.columns]
    compliance = [c for c in table.columns if ".compliance." in c and not c.endswith(".pass")]
    return columns + compliance


def interval(values: np.ndarray) -> tuple[float, float]:
    """95% confidence interval of the mean (Student t); NaN with fewer than two values."""
    if len(values) < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def paired(arm: pd.DataFrame, baseline: pd.DataFrame, column: str) -> tuple[int, float, float, float]:
    """(pairs, mean difference, p-value, Cohen's d_z) of ``arm - baseline`` matched on seed and fold."""
    joined = arm[["seed", "fold", column]].merge(
        baseline[["seed", "fold", column]], on=["seed", "fold"], suffixes=("", "_base")
    )
    joined = joined.dropna()
    diff = (joined[column] - joined[f"{column}_base"]).to_numpy(dtype=float)
    if len(diff) < 2:
        return len(diff), float(diff.mean()) if len(diff) else math.nan, math.nan, math.nan
    sd = diff.std(ddof=1)
    if sd == 0:
        return (
            len(diff),
            float(diff.mean()),
            (1.0 if diff.mean() == 0 else 0.0),
            (0.0 if diff.mean() == 0 else math.inf),
        )
    p_value = float(stats.ttest_rel(joined[column], joined[f"{column}_base"]).pvalue)
    return len(diff), float(diff.mean()), p_value, float(diff.mean() / sd)


def summarise(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """One row per (dataset, arm, metric): n, mean, std, ci_low, ci_high, and against the
    baseline: pairs, delta, p_value, effect_size (NaN for the baseline itself)."""
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(
            f"table: expected the results table, a pandas DataFrame (pd.read_csv(study / 'results.csv'); "
            f"got {type(table).__name__})."
        )
    rows = []
    if table.empty:
        return pd.DataFrame(rows)
    for column in metric_columns(table):
        for (dataset, arm), group in table.groupby(["dataset", "arm"], sort=False):
            values = group[column].dropna().to_numpy(dtype=float)
            low, high = interval(values)
            row = {
                "dataset": dataset,
                "arm": arm,
                "metric": column,
                "n": len(values),
                "mean": float(values.mean()) if len(values) else math.nan,
                "std": float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                "ci_low": low,
                "ci_high": high,
            }
            base = table[(table["dataset"] == dataset) & (table["arm"] == baseline)]
            if arm != baseline and not base.empty:
                row["pairs"], row["delta"], row["p_value"], row["effect_size"] = paired(group, base, column)
            rows.append(row)
    return pd.DataFrame(rows)


def cell_text(row: pd.Series) -> str:
    """``mean +- std [ci_low, ci_high]`` of a summary row (``n/a`` without values)."""
    if row["n"] == 0:
        return "n/a"
    text = f"{row['mean']:.3f}"
    if row["n"] > 1:
        text += f" +- {row['std']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
    return text


def versus_text(row: pd.Series) -> str:
    """``delta (p=..., d=...)`` of a summary row against the baseline (empty for the baseline)."""
    if "delta" not in row or pd.isna(row.get("delta")):
        return ""
    if pd.isna(row["p_value"]):
        return f"{row['delta']:+.3f}"
    return f"{row['delta']:+.3f} (p={row['p_value']:.3g}, d={row['effect_size']:.2f})"


def grid(
    part: pd.DataFrame, metrics: list[str], cell, skip: str | None = None
) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """Per arm (in order, ``skip`` left out), ``cell(row)`` of each metric's summary row."""
    out = []
    for arm, rows in part.groupby("arm", sort=False):
        if arm != skip:
            by_metric = {r["metric"]: r for _, r in rows.iterrows()}
            out.append((str(arm), [cell(by_metric[m]) for m in metrics]))
    return out


def headline(part: pd.DataFrame) -> list[str]:
    """The metrics of the main tables (compliance values have a table of their own)."""
    return [m for m in dict.fromkeys(part["metric"]) if ".compliance." not in m]


def failed_lines(table: pd.DataFrame) -> list[str]:
    """One line per failed trial: where it sits in the grid and its error."""
    failed = table[table["status"] == "failed"] if "status" in table else table.iloc[:0]
    return [
        markdown_text(f"{r.dataset}/{r.arm}/seed{r.seed}/fold {r.fold}: {r.error}")
        for r in failed.itertuples()
    ]


def _table(part: pd.DataFrame, metrics: list[str], cell, skip: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    head = [markdown_text(m) for m in metrics]
    lines = ["| arm | " + " | ".join(head) + " |", "|---" * (len(metrics) + 1) + "|"]
    return lines + [
        f"| {markdown_text(arm)} | " + " | ".join(cells) + " |"
        for arm, cells in grid(part, metrics, cell, skip)
    ]


def compliance_rows(part: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(arm, ``<file>: <prior>.<metric>``, value) of every measured compliance value."""
    rows = part[part["metric"].str.contains(".compliance.", regex=False) & (part["n"] > 0)]
    return [
        (str(r.arm), r.metric.replace(".compliance.", ": ", 1), cell_text(pd.Series(r._asdict())))
        for r in rows.itertuples()
    ]


def _compliance(part: pd.DataFrame) -> list[str]:
    rows = compliance_rows(part)
    if not rows:
        return []
    lines = [
        "Compliance (what each prior measured, per evaluation file):",
        "",
        "| arm | metric | value |",
        "|---|---|---|",
    ]
    cells = [(markdown_text(arm), markdown_text(metric), value) for arm, metric, value in rows]
    return [*lines, *(f"| {arm} | {metric} | {value} |" for arm, metric, value in cells), ""]


def markdown(
    summary: pd.DataFrame,
    baseline: str,
    leakage: dict[str, LeakageReport] | None = None,
    validation: str = "",
) -> str:
    """``summary.md``: how validation was drawn, then per dataset a table of arms x headline
    metrics (n, mean +- std, CI), the comparisons with the baseline, the priors' compliance
    values and, for a folded dataset, the leakage report of its split."""
    lines = [
        "# Study summary",
        "",
        "Values: mean +- std [95% CI] over seeds and folds (n runs). Comparison with "
        f"`{markdown_text(baseline)}`: difference of means, {TEST} (p) and Cohen's d_z (d).",
        "",
        *([f"Model selection: {validation}.", ""] if validation else []),
    ]
    for dataset, part in summary.groupby("dataset", sort=False):
        metrics = headline(part)
        counts = part.groupby("arm", sort=False)["n"].max()
        lines += [
            f"## {markdown_text(dataset)}",
            "",
            "Runs per arm: " + ", ".join(f"{markdown_text(a)} {int(n)}" for a, n in counts.items()),
            "",
        ]
        lines += [*_table(part, metrics, cell_text), ""]
        if (part["arm"] != baseline).any():  # a study of the baseline alone has nothing to compare
            lines += [
                f"Against `{markdown_text(baseline)}`:",
                "",
                *_table(part, metrics, versus_text, skip=baseline),
                "",
            ]
        lines += _compliance(part)
        if leakage and dataset in leakage:
            lines += [*leakage[dataset].lines(), ""]
    return "\n".join(lines)


def write_summary(
    summary: pd.DataFrame,
    path: Path,
    table: pd.DataFrame,
    baseline: str = "baseline",
    family: list[str] | None = None,
    leakage: dict[str, LeakageReport] | None = None,
    validation: str = "",
) -> None:
    """``summary.md``: the family table first when there is one (many datasets), then the
    tables of every dataset (with its split's leakage report), then the failed trials;
    ``validation`` says how each run's validation data were drawn."""
    text = (
        markdown(summary, baseline, leakage, validation)
        if not summary.empty
        else "# Study summary\n\nNo finished trials yet.\n"
    )
    if family:
        head, _, rest = text.partition("\n")
        text = head + "\n\n## Across datasets\n\n" + "\n".join(family) + "\n\n## Per dataset\n" + rest
    failed = failed_lines(table)
    if failed:
        text += "\n## Failed trials\n\n" + "\n".join(f"- {line}" for line in failed) + "\n"
    with atomic_write(path) as handle:
        handle.write(text)


def validation_text(folds: SplitConfig | None) -> str:
    """How a study's runs drew their validation data, for its summary."""
    if folds is None:
        return "validation: each dataset's own `val` file (a fixed split)"
    return f"{folds.kind} folds; {folds.describe_validation()}"
