"""``evaluate_run``: score a trained run on any JSONL file (``priorkit evaluate``)."""

from __future__ import annotations

import os
from pathlib import Path

from priorkit.analysis.report import EvaluationReport, evaluate_model
from priorkit.data.jsonl import read_jsonl
from priorkit.training.data import to_graphs
from priorkit.training.run_dir import load_run, write_json


def evaluate_run(
    run_dir: str | os.PathLike[str],
    data: str | os.PathLike[str],
    json_out: str | os.PathLike[str] | None = None,
    repeats: int = 5,
) -> EvaluationReport:
    """Load the best checkpoint of ``run_dir``, check that ``data`` fits it (labels it saw, the
    same feature width) and measure everything of :class:`EvaluationReport`.

    Raises:
        IncompatibleDataError: unseen labels or another feature width.
    """
    run = load_run(run_dir)
    dataset = run.config.data.budgeted(read_jsonl(data))
    run.schema.check(dataset, str(data))
    c = run.config.train
    graphs = to_graphs(dataset, run.schema, run.encoder, c.cache_dir)
    report = evaluate_model(
        run.model, graphs, run.schema.labels, repeats=repeats, seed=c.seed, batch_size=c.batch_size
    )
    if json_out is not None:
        write_json(Path(json_out), report.to_dict())
    return report
