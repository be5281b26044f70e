"""The family table: how each arm does across many datasets (synthetic worlds), at a glance.

One row per dataset: the baseline's accuracy on the shifted test (``test_ood``) and, per arm,
its mean gain over the baseline (matched seeds) with how many of its seeds passed every
compliance rule on the in-distribution test. Below, per arm: the compliance pass rate over all
(dataset, seed) pairs, and the mean and smallest gain over the datasets where its prior points
away from the shortcut (``expect: away``, the default), next to the mean gain where it is
``neutral`` and where it is ``wrong`` (the cost of a prior that does not hold).
"""

from __future__ import annotations

import math

import pandas as pd

from priorkit.ablation.study import StudyConfig
from priorkit.escaping import markdown_text

SHIFTED = "test_ood.accuracy"
MARKS = {"away": "", "neutral": " (n)", "wrong": " (w)"}


def compliant(row: pd.Series) -> bool | None:
    """Whether every compliance rule measured on the trial's test passed (None: no rules)."""
    passes = [v for k, v in row.items() if str(k).startswith("test.compliance.") and str(k).endswith(".pass")]
    passes = [bool(v) for v in passes if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return None if not passes else all(passes)


def gains(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """One row per (dataset, arm, seed) of a non-baseline arm: its shifted accuracy gain over the
    baseline of the same dataset and seed, and whether it was compliant."""
    done = table[table["status"] == "done"]
    base = done[done["arm"] == baseline][["dataset", "seed", SHIFTED]]
    arms = done[done["arm"] != baseline].copy()
    arms["compliant"] = arms.apply(compliant, axis=1)
    joined = arms.merge(base, on=["dataset", "seed"], suffixes=("", "_baseline"))
    joined["gain"] = joined[SHIFTED] - joined[f"{SHIFTED}_baseline"]
    return joined[["dataset", "arm", "seed", "gain", "compliant"]]


def family_table(table: pd.DataFrame, study: StudyConfig) -> list[str]:
    """The markdown lines of the family table (empty for a study of one dataset, or without a
    shifted test)."""
    if len(study.datasets or {}) < 2 or SHIFTED not in table.columns or table.empty:
        return []
    rows = gains(table, study.baseline)
    arms = list(dict.fromkeys(rows["arm"]))
    if not arms:
        return []
    datasets = study.datasets or {}

    def expect(dataset: str, arm: str) -> str:
        data = datasets.get(dataset)
        if data is None:
            return "away"
        return data.expect.get(arm) or data.expect.get(study.prior_of(arm) or "", "away")

    base = table[(table["arm"] == study.baseline) & (table["status"] == "done")]
    lines = [
        "| dataset | baseline " + SHIFTED.split(".")[0] + " | " + " | ".join(map(markdown_text, arms)) + " |",
        "|---" * (len(arms) + 2) + "|",
    ]
    for dataset, part in rows.groupby("dataset", sort=False):
        note = datasets[dataset].note if dataset in datasets and datasets[dataset].note else ""
        cells = []
        for arm in arms:
            mine = part[part["arm"] == arm]
            passed = int((mine["compliant"] == True).sum())  # noqa: E712 (None stays out)
            cells.append(f"{mine['gain'].mean():+.3f} ({passed}/{len(mine)}){MARKS[expect(dataset, arm)]}")
        accuracy = base[base["dataset"] == dataset][SHIFTED].mean()
        name = f"{dataset}: {note}" if note else str(dataset)
        lines.append(f"| {markdown_text(name)} | {accuracy:.3f} | " + " | ".join(cells) + " |")
    lines.extend(_totals(rows, arms, expect))
    lines += [
        "",
        "Cells: mean gain in test_ood accuracy over the baseline (same dataset and seed), "
        "(seeds whose every compliance rule passed on test / seeds); (n) the prior says nothing "
        "about this dataset's shortcut, (w) the prior is wrong for it.",
    ]
    return lines


def _totals(rows: pd.DataFrame, arms: list[str], expect) -> list[str]:  # type: ignore[no-untyped-def]
    def per_arm(arm: str) -> dict[str, str]:
        mine = rows[rows["arm"] == arm]
        kinds = mine["dataset"].map(lambda d: expect(d, arm))
        by_world = mine.groupby("dataset", sort=False)["gain"].mean()
        away = by_world[[expect(d, arm) == "away" for d in by_world.index]]
        measured = mine["compliant"].dropna()
        return {
            "compliance pass rate": f"{(measured == True).mean():.0%} of {len(measured)}",  # noqa: E712
            "mean gain, away": f"{away.mean():+.3f}" if len(away) else "n/a",
            "smallest gain, away": f"{away.min():+.3f}" if len(away) else "n/a",
            "mean gain, neutral": _mean(mine["gain"][kinds == "neutral"]),
            "mean gain, wrong": _mean(mine["gain"][kinds == "wrong"]),
        }

    stats = {arm: per_arm(arm) for arm in arms}
    names = list(next(iter(stats.values())))
    return [f"| **{name}** | | " + " | ".join(stats[arm][name] for arm in arms) + " |" for name in names]


def _mean(values: pd.Series) -> str:
    return f"{values.mean():+.3f}" if len(values) else "n/a"
