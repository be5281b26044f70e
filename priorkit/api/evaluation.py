"""``evaluate``: score a trained model on labelled data (``pk.evaluate``, ``priorkit evaluate``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from priorkit.analysis.ensemble_report import EnsembleReport
from priorkit.analysis.metrics import classification_metrics
from priorkit.analysis.report import EvaluationReport, evaluate_model
from priorkit.api.ensemble import Ensemble, as_model
from priorkit.atomic import writable_file, write_json
from priorkit.config import checked_batch_size, whole_number
from priorkit.data.dataset import TreeDataset
from priorkit.data.sources import DataSource, as_dataset
from priorkit.errors import ConfigError
from priorkit.locks import output_lock, refuse_overwriting
from priorkit.runs.graphs import to_graphs
from priorkit.runs.trained import TrainedModel


def evaluate(
    model: TrainedModel | Ensemble | str | os.PathLike[str],
    data: DataSource,
    repeats: int = 5,
    json_out: str | os.PathLike[str] | None = None,
    batch_size: int | None = None,
) -> EvaluationReport | EnsembleReport:
    """Accuracy, reliance per modality and node group, attention by depth and each prior's
    compliance of a trained model on labelled data.

    Args:
        model: a :class:`TrainedModel` (``pk.fit``, ``pk.load``), an
            :class:`~priorkit.api.ensemble.Ensemble` (an :class:`EnsembleReport`: the averaged
            probabilities' scores and each member's report), or the path of a run directory,
            saved model folder or ensemble folder.
        data: a JSONL path, a dataset, or a list of samples or records, with labels the model knows.
        repeats: shuffles per modality and node group for reliance (1 to :data:`MAX_REPEATS`).
        json_out: also write the report here as JSON.
        batch_size: samples per batch (default: the training batch size).

    Raises:
        IncompatibleDataError: unseen labels, another feature width; DataValidationError:
            unlabelled or invalid samples.
    """
    _check_repeats(repeats)
    batch_size = checked_batch_size(batch_size)
    found = as_model(model)
    where = str(data) if isinstance(data, (str, os.PathLike)) else "data"
    if json_out is not None:  # refused before the work, not after it
        if not isinstance(json_out, (str, os.PathLike)):
            raise ConfigError(f"json_out: expected a file path (got {type(json_out).__name__}).")
        inputs = {"data": Path(data)} if isinstance(data, (str, os.PathLike)) else {}
        refuse_overwriting(Path(json_out), {**inputs, **found.files()})
        writable_file(Path(json_out))
    dataset = as_dataset(data, where)
    if len(dataset) == 0:
        raise ConfigError(f"{where}: expected samples to evaluate on (got none). Give labelled samples.")
    report = (
        _ensemble_report(found, dataset, where, repeats, batch_size)
        if isinstance(found, Ensemble)
        else _report(found, dataset, where, repeats, batch_size)
    )
    if json_out is not None:
        with output_lock(Path(json_out)):
            write_json(Path(json_out), report.to_dict())
    return report


MAX_REPEATS = 1000  # shuffles per modality and node group; each is a pass over the data


def _check_repeats(repeats: object) -> None:
    if whole_number(repeats, 1, MAX_REPEATS) is None:
        raise ConfigError(
            f"repeats: expected an integer from 1 to {MAX_REPEATS} (got {repeats!r}). Give the number "
            "of shuffles per modality (5 is the default; each one is a pass over the data)."
        )


def _report(
    trained: TrainedModel, dataset: TreeDataset, where: str, repeats: int, batch_size: int | None
) -> EvaluationReport:
    dataset = trained.config.data.budgeted(dataset)
    trained.schema.check(dataset, where)
    c = trained.config.train
    graphs = to_graphs(dataset, trained.schema, trained.encoder, c.cache_dir)
    return evaluate_model(
        trained.model,
        graphs,
        trained.schema.labels,
        repeats=repeats,
        seed=c.seed,
        batch_size=batch_size or c.batch_size,
    )


def _ensemble_report(
    ensemble: Ensemble, dataset: TreeDataset, where: str, repeats: int, batch_size: int | None
) -> EnsembleReport:
    """The averaged probabilities' scores, and each member's own report."""
    members = [_report(m, dataset, where, repeats, batch_size) for m in ensemble.members]
    scores = ensemble_scores(ensemble, dataset, where, batch_size)
    return EnsembleReport(scores["accuracy"], scores["macro_f1"], scores["per_class"], scores["n"], members)


def ensemble_scores(
    ensemble: Ensemble, dataset: TreeDataset, where: str, batch_size: int | None = None
) -> dict[str, Any]:
    """:func:`~priorkit.analysis.metrics.classification_metrics` of the ensemble's averaged
    probabilities on labelled samples (scored as each member's report scores its own)."""
    from priorkit.api.prediction import predict  # the layer's own prediction path

    labels = ensemble.schema.labels
    predicted = [labels.index(p.label) for p in predict(ensemble, dataset, batch_size=batch_size)]
    truth = [labels.index(s.label, f"{where}: sample {s.id}: label") for s in dataset]
    return classification_metrics(np.array(truth), np.array(predicted), labels)


def evaluate_run(
    run_dir: str | os.PathLike[str],
    data: str | os.PathLike[str],
    json_out: str | os.PathLike[str] | None = None,
    repeats: int = 5,
) -> EvaluationReport:
    """:func:`evaluate` of the run directory ``run_dir`` on the file ``data``."""
    return evaluate(run_dir, data, repeats=repeats, json_out=json_out)
