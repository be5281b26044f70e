"""The trees of a few test samples as each arm's model read them, side by side in the study
report: the same samples for every arm, so that a reader sees what a prior did to the attention
(see :mod:`priorkit.analysis.tree_view`)."""

from __future__ import annotations

import html
import logging
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd

from priorkit.ablation.grid import FIXED, trial_key
from priorkit.api.explanation import TreeExplanation, explain
from priorkit.data.jsonl import iter_jsonl
from priorkit.errors import PriorkitError
from priorkit.runs.files import is_run
from priorkit.runs.trained import TrainedModel

log = logging.getLogger("priorkit.ablation")
SAMPLES = 3  # samples drawn per dataset


def explanations_html(out: Path, done: pd.DataFrame, study: dict[str, Any], count: int = SAMPLES) -> str:
    """Per dataset, its first ``count`` samples of the study's first evaluation file (else each
    run's test file) drawn as every arm's model (its first seed and fold) read them; empty when
    no run has such a file."""
    parts = []
    files = (study.get("study") or {}).get("evaluate") or {}
    file = next((f for f in files.values() if isinstance(f, str)), None)  # a file, not a collection
    for dataset, rows in done.groupby("dataset", sort=False):
        runs = {str(row.arm): _run_of(out, row) for row in rows.drop_duplicates("arm").itertuples()}
        drawn = _drawn(runs, file, count)
        if drawn:
            parts.append(f"<h3>{html.escape(str(dataset))}: trees as each arm read them</h3>{drawn}")
    if not parts:
        return ""
    note = (
        "<p>Node colour: readout attention (light to dark, up to the sample's largest); node "
        "size: reliance (the drop of the predicted class's probability when the node's own "
        "content is blanked); ringed: the root. Hover a node for its numbers.</p>"
    )
    return f"<h2>Explanations</h2>{note}{''.join(parts)}"


def _run_of(out: Path, row: Any) -> Path:
    """The run folder of a results row (``dataset``, ``arm``, ``seed``, ``fold``)."""
    fold = None if str(row.fold) == FIXED else int(float(row.fold))
    return out / "trials" / trial_key(str(row.dataset), str(row.arm), int(row.seed), fold) / "run"


def _drawn(runs: dict[str, Path], file: str | None, count: int) -> str:
    """Each sample as a row of arms."""
    by_arm: dict[str, list[TreeExplanation]] = {}
    for arm, run in runs.items():
        if not is_run(run):
            continue
        try:
            trained = TrainedModel.from_run(run)
            source = file or trained.config.data.test
            if source is None or not Path(source).is_file():
                continue
            by_arm[arm] = explain(trained, list(islice(iter_jsonl(source), count)))
        except PriorkitError as error:  # a run that cannot be loaded: the rest of the report stands
            log.warning("report: no explanations for arm %s (%s)", arm, error)
    if not by_arm:
        return ""
    rows = []
    for k in range(min(len(e) for e in by_arm.values())):
        figures = "".join(
            f"<figure><figcaption><b>{html.escape(arm)}</b>: {_verdict(found[k])}</figcaption>"
            f"{found[k].svg()}</figure>"
            for arm, found in by_arm.items()
        )
        first = next(iter(by_arm.values()))[k].view
        rows.append(
            f'<div class="sample"><p><b>sample {html.escape(first.sample_id)}</b>: <span class="text">'
            f'{html.escape(first.text[:300])}</span></p><div class="arms">{figures}</div></div>'
        )
    return "".join(rows)


def _verdict(found: TreeExplanation) -> str:
    view = found.view
    shares = "" if view.shares is None else ", " + ", ".join(f"{m} {v:.2f}" for m, v in view.shares.items())
    return html.escape(f"predicted {view.label} ({max(view.probabilities.values()):.2f}){shares}")
