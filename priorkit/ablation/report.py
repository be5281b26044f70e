"""``priorkit report DIR``: one self-contained HTML page (plots embedded) and ``summary.md``."""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from priorkit.ablation.explanations import explanations_html
from priorkit.ablation.family import family_table
from priorkit.ablation.folds import load_leakage
from priorkit.ablation.plots import make_plots
from priorkit.ablation.results import IDENTITY
from priorkit.ablation.study import StudyConfig
from priorkit.ablation.summary import (
    TEST,
    cell_text,
    compliance_rows,
    failed_lines,
    grid,
    headline,
    summarise,
    validation_text,
    versus_text,
    write_summary,
)
from priorkit.analysis.leakage import LeakageReport
from priorkit.atomic import atomic_write
from priorkit.data.split_plan import SplitConfig
from priorkit.errors import PriorkitError, first_line
from priorkit.escaping import csv_value

# marks the page once loaded: how many images decoded, and any script error (read by tests
# in a real browser; harmless for readers)
_PROBE = """<script>
window.addEventListener("error", e => {
  document.body.dataset.errors = (document.body.dataset.errors || "") + e.message + ";";
});
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const ok = images.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.imagesRendered = ok + "/" + images.length;
});
</script>"""

_STYLE = """<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; margin: 0.5rem 0; }
.failed { color: #a00; }
.arms { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.arms figure { margin: 0; border: 1px solid #ddd; padding: 0.4rem; max-width: 34rem; }
.arms svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; }
</style>"""


def _html_cell(row: pd.Series) -> str:
    versus = versus_text(row)
    return html.escape(cell_text(row)) + (f"<br><small>Δ {html.escape(versus)}</small>" if versus else "")


def _table_html(summary: pd.DataFrame, dataset: str, baseline: str) -> str:
    """The summary's headline table, each cell with its comparison to the baseline, then
    the priors' compliance values."""
    part = summary[summary["dataset"] == dataset]
    metrics = headline(part)
    head = "".join(f"<th>{html.escape(m)}</th>" for m in metrics)
    rows = [
        f"<tr><td>{html.escape(arm)}</td>{''.join(f'<td>{c}</td>' for c in cells)}</tr>"
        for arm, cells in grid(part, metrics, _html_cell)
    ]
    table = f"<table><tr><th>arm</th>{head}</tr>{''.join(rows)}</table>"
    measured = compliance_rows(part)
    if measured:
        cells = "".join(
            f"<tr><td>{html.escape(a)}</td><td>{html.escape(m)}</td><td>{html.escape(v)}</td></tr>"
            for a, m, v in measured
        )
        table += (
            f"<h3>Compliance</h3><table><tr><th>arm</th><th>metric</th><th>value</th></tr>{cells}</table>"
        )
    return table


def _family(study: dict[str, Any], table: pd.DataFrame) -> list[str]:
    """The family table of the study saved in ``study.json`` (none when it cannot be read)."""
    try:
        return family_table(table, StudyConfig.model_validate(study["study"]))
    except (KeyError, ValidationError):
        return []


def _leakage_html(report: LeakageReport) -> str:
    """The split's leakage report: its title line, then its table."""
    title, head, rows = report.table()
    header = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<p class="leakage">{html.escape(title)}</p><table><tr>{header}</tr>{body}</table>'


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


REQUIRED = ("dataset", "arm", "seed", "status")  # the columns every results.csv has


def _results(out: Path) -> pd.DataFrame:
    """``results.csv`` as written (formula quotes undone), or an error naming what is wrong
    and how to rewrite it (a rerun of the study rewrites it from the trials' own results)."""
    rerun = f"Run `priorkit ablate STUDY --out {out}` again to rewrite it."
    names = {column: str for column in IDENTITY if column != "seed"}  # an arm named 1, NA or None
    try:  # is that text: only an empty cell is missing
        table = pd.read_csv(out / "results.csv", dtype=names, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        table = pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise PriorkitError(
            f"{out / 'results.csv'}: expected the table priorkit ablate writes (got {type(error).__name__}: "
            f"{first_line(error)}). {rerun}"
        ) from None
    table = table.rename(columns=csv_value).apply(lambda column: column.map(csv_value))
    missing = [name for name in REQUIRED if name not in table.columns]
    if missing:
        raise PriorkitError(
            f"{out / 'results.csv'}: expected one row per trial with the columns {', '.join(REQUIRED)} "
            f"(got an empty or foreign file, without {', '.join(missing)}). {rerun}"
        )
    for name in ("dataset", "arm", "fold", "status"):
        blank = table[name].isna() if name in table.columns else pd.Series(dtype=bool)
        if blank.any():
            row = int(blank.to_numpy().argmax())
            raise PriorkitError(
                f"{out / 'results.csv'}:{row + 2}: column {name}: expected a value (got an empty "
                f"cell). Fix the cell, or run `priorkit ablate STUDY --out {out}` again to rewrite the file."
            )
    numeric = [c for c in table.columns if c.endswith((".accuracy", ".macro_f1")) or c == "seed"]
    for name in numeric:
        values = pd.to_numeric(table[name], errors="coerce")
        bad = (table[name].notna() | (name == "seed")) & values.isna()  # every trial has a seed
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise PriorkitError(
                f"{out / 'results.csv'}:{row + 2}: column {name}: expected a number (got "
                f"{table[name].iloc[row]!r}). Fix the cell, or run `priorkit ablate STUDY --out {out}` "
                "again to rewrite the file."
            )
        table[name] = values
    return table


def _study(out: Path) -> dict[str, Any]:
    """``study.json`` (empty when there is none), or an error naming it."""
    file = out / "study.json"
    if not file.is_file():
        return {}
    try:
        study = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        study = error
    if not isinstance(study, dict) or not isinstance(study.get("study", {}), dict):
        got = (
            f"{type(study).__name__}: {first_line(study)}"
            if isinstance(study, Exception)
            else type(study).__name__
        )
    else:
        got = _edited(study.get("study", {}))
    if got:
        raise PriorkitError(
            f"{file}: expected the study.json priorkit ablate writes (got {got}). Run `priorkit ablate STUDY "
            f"--out {out}` again to rewrite it."
        )
    return study


def _edited(spec: dict[str, Any]) -> str:
    """What of the saved study the report reads but cannot use (an edit), or ''."""
    baseline = spec.get("baseline", "baseline")
    if not isinstance(baseline, str):
        return f"baseline {baseline!r}, not an arm's name"
    if spec.get("folds") is not None:
        try:
            SplitConfig.from_saved(spec["folds"])
        except (ValueError, TypeError) as error:  # pydantic's ValidationError and ConfigError too
            return f"folds that are not a split: {first_line(error)}"
    return ""


def write_report(folder: str | os.PathLike[str]) -> Path:
    """Write ``report.html``, ``summary.md`` and ``plots/*.png`` into a study folder."""
    out = Path(folder)
    if not (out / "results.csv").is_file():
        raise PriorkitError(
            f"{out}: expected a study folder with results.csv (got none). "
            f"Run `priorkit ablate STUDY --out {out}` first."
        )
    table = _results(out)
    study = _study(out)
    baseline = study.get("study", {}).get("baseline", "baseline")
    done = table[table["status"] == "done"]
    summary = summarise(done, baseline)
    leakage = load_leakage(out)
    folds = study.get("study", {}).get("folds")
    validation = validation_text(None if folds is None else SplitConfig.from_saved(folds))
    write_summary(summary, out / "summary.md", table, baseline, _family(study, table), leakage, validation)
    plots = make_plots(table, out / "plots")
    parts = [
        f"<h1>Study report: {html.escape(out.name)}</h1>",
        f"<p>{len(table)} trials: {len(done)} finished, {int((table['status'] == 'failed').sum())} failed, "
        f"{int((table['status'] == 'pending').sum())} not run. "
        "Values: mean ± std [95% CI] over seeds and folds; "
        f"Δ against <code>{html.escape(baseline)}</code> with the {TEST} (p) and Cohen's d_z (d).</p>",
    ]
    for dataset in dict.fromkeys(done["dataset"]):
        parts.append(f"<h2>{html.escape(str(dataset))}</h2>")
        parts.append(_table_html(summary, dataset, baseline))
        if dataset in leakage:
            parts.append(_leakage_html(leakage[dataset]))
        parts.extend(_image(p) for p in plots if p.name.startswith(f"{dataset}_"))
    parts.append(explanations_html(out, done, study))
    failed = failed_lines(table)
    if failed:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in failed)
        parts.append(f'<h2 class="failed">Failed trials</h2><ul class="failed">{items}</ul>')
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>priorkit study {html.escape(out.name)}</title>{_STYLE}</head>"
        f"<body>{''.join(parts)}{_PROBE}</body></html>"
    )
    with atomic_write(out / "report.html") as handle:
        handle.write(page)
    return out / "report.html"
