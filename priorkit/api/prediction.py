"""``predict``: labels and class probabilities of a trained model for new, possibly unlabelled
samples, optionally with explanations (``pk.predict``, ``priorkit predict``)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from priorkit.analysis.explain import explain as explain_graphs
from priorkit.analysis.predict import NonFiniteOutputError, adapted_to
from priorkit.analysis.predict import predict as run_model
from priorkit.api.ensemble import Ensemble, as_model, members_of
from priorkit.api.neighbours import TextNeighbours, text_embeddings
from priorkit.atomic import atomic_write
from priorkit.config import checked_batch_size, whole_number
from priorkit.data.dataset import TreeDataset
from priorkit.data.jsonl import iter_jsonl, validate_jsonl
from priorkit.data.problems import DataValidationError
from priorkit.data.sample import Label, TreeSample
from priorkit.data.sources import DataSource, as_dataset
from priorkit.errors import ConfigError
from priorkit.locks import output_lock, refuse_overwriting
from priorkit.runs.graphs import to_graphs
from priorkit.runs.trained import TrainedModel

CHUNK = 512  # samples turned into graphs at a time: memory stays flat on large files


@dataclass(frozen=True)
class SamplePrediction:
    """Args:
    id: the sample id; label: the predicted label; probabilities: per label name (as text).
    explanation: with ``explain``: ``modality_weights``, ``top_nodes`` (``id``, ``depth``,
        ``attention``) and ``priors`` (each prior's measurements on this sample), else None.
    """

    id: str
    label: Label
    probabilities: dict[str, float]
    explanation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label, "probabilities": self.probabilities}
        if self.explanation is not None:
            out["explanation"] = self.explanation
        return out


def predict(
    model: TrainedModel | Ensemble | str | os.PathLike[str],
    samples: DataSource,
    explain: bool = False,
    top_k: int = 5,
    batch_size: int | None = None,
    neighbours: TextNeighbours | str | os.PathLike[str] | None = None,
) -> list[SamplePrediction]:
    """Predict every sample (labels are not needed, and not read).

    Args:
        model: a :class:`TrainedModel`, an :class:`~priorkit.api.ensemble.Ensemble` (its
            members' class probabilities averaged), or the path of a run directory, saved model
            folder or ensemble folder.
        samples: a JSONL path, a dataset, or a list of samples or records.
        explain: add fusion weights, the ``top_k`` nodes by readout attention, and each prior's
            per-sample measurements (one network only).
        batch_size: samples per forward pass (default: the training batch size).
        neighbours: the model's text neighbours (:func:`~priorkit.api.neighbours.fit_neighbours`,
            or the folder they were saved in): the probabilities are the network's mixed with
            their vote.
    """
    neighbours = _as_neighbours(neighbours)
    members = members_of(_checked(as_model(model), explain, neighbours))
    dataset = as_dataset(samples, "samples")
    options = _Options(explain, top_k, batch_size, neighbours)
    out: list[SamplePrediction] = []
    with _adapted(members, lambda: iter(dataset), options, "samples"):
        for chunk in _chunks(iter(dataset)):
            out.extend(_predict_chunk(members, chunk, options, "samples"))
    return out


def _as_neighbours(value: object) -> TextNeighbours | None:
    """Text neighbours given as themselves or as the folder they were saved in."""
    if value is None or isinstance(value, TextNeighbours):
        return value
    if isinstance(value, (str, os.PathLike)):
        return TextNeighbours.load(value)
    raise ConfigError(
        f"neighbours: expected pk.TextNeighbours or the folder they were saved in "
        f"(got {type(value).__name__})."
    )


def _checked(
    model: TrainedModel | Ensemble, explain: bool, neighbours: TextNeighbours | None
) -> TrainedModel | Ensemble:
    """The model, checked against what was asked of it."""
    members = members_of(model)
    if explain and len(members) > 1:
        raise ConfigError(
            f"explain: expected one network (got an ensemble of {len(members)}). Explanations are per "
            "network: explain a member, e.g. pk.predict(ensemble.members[0], samples, explain=True)."
        )
    if neighbours is not None:
        neighbours.check(model)
    return model


@contextmanager
def _adapted(
    members: Sequence[TrainedModel],
    samples: Callable[[], Iterator[TreeSample]],
    options: _Options,
    where: str,
) -> Iterator[None]:
    """Every member adapted to the samples (priors that adapt to the data they score, e.g.
    ``label_shift``; ``samples`` gives a fresh iterator of them for each member)."""
    with ExitStack() as stack:
        for member in members:
            stack.enter_context(adapted_to(member.model, _raw_logits(member, samples(), options, where)))
        yield


@dataclass(frozen=True)
class PredictFileResult:
    """Args: count: samples predicted; out: the JSONL file written."""

    count: int
    out: Path


def predict_file(
    model: TrainedModel | Ensemble | str | os.PathLike[str],
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    explain: bool = False,
    top_k: int = 5,
    batch_size: int | None = None,
    progress: bool = True,
    neighbours: TextNeighbours | str | os.PathLike[str] | None = None,
    adapt_window: int | None = None,
) -> PredictFileResult:
    """Predict a JSONL file into a JSONL file of :meth:`SamplePrediction.to_dict` lines, in
    constant memory (``neighbours``: as in :func:`predict`). The file is validated first: on any
    problem nothing is written.

    Args:
        adapt_window: for a model with a prior that adapts to the data it scores
            (``label_shift``): adapt it to the first ``adapt_window`` samples of the file; None:
            to the whole file (a first pass reads it; only the logits are kept).
    """
    for name, path in (("data", data), ("out", out)):
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError(
                f"{name}: expected a file path (got {type(path).__name__}). Samples in memory: pk.predict."
            )
    neighbours = _as_neighbours(neighbours)
    found = _checked(as_model(model), explain, neighbours)
    members = members_of(found)
    problems = validate_jsonl(data)
    if problems:
        raise DataValidationError(problems)
    if adapt_window is not None and whole_number(adapt_window, 1) is None:
        raise ConfigError(
            f"adapt_window: expected an integer >= 1, or None for the whole file (got {adapt_window!r})."
        )
    refuse_overwriting(Path(out), {"data": Path(data), **found.files()})
    total = _count_lines(Path(data))
    options = _Options(explain, top_k, batch_size, neighbours)
    count = 0
    with (
        _adapted(members, lambda: islice(iter_jsonl(data), adapt_window), options, str(data)),
        output_lock(Path(out)),
        atomic_write(out) as handle,
        tqdm(total=total, unit="sample", disable=not progress, file=sys.stderr, desc="predict") as bar,
    ):
        for chunk in _chunks(iter_jsonl(data)):
            for prediction in _predict_chunk(members, chunk, options, str(data)):
                handle.write(_json_line(prediction.to_dict()))
            count += len(chunk)
            bar.update(len(chunk))
    return PredictFileResult(count, Path(out))


@dataclass(frozen=True)
class _Options:
    """What :func:`predict` was asked for, passed down to each chunk."""

    explain: bool
    top_k: int
    batch_size: int | None
    neighbours: TextNeighbours | None

    def __post_init__(self) -> None:
        if not isinstance(self.explain, bool):
            raise ConfigError(f"explain: expected true or false (got {self.explain!r}).")
        object.__setattr__(self, "batch_size", checked_batch_size(self.batch_size))
        if self.explain and whole_number(self.top_k, 1) is None:
            raise ConfigError(
                f"top_k: expected an integer >= 1, the nodes listed per sample (got {self.top_k!r})."
            )
        if whole_number(self.top_k) is not None:  # numpy's integers as Python's, for torch's loaders
            object.__setattr__(self, "top_k", int(self.top_k))


def _chunks(samples: Iterator[TreeSample]) -> Iterable[list[TreeSample]]:
    while chunk := list(islice(samples, CHUNK)):
        yield chunk


def sample_graphs(
    trained: TrainedModel, samples: Sequence[TreeSample], where: str
) -> tuple[TreeDataset, list[Any]]:
    """The samples under the run's node budget, checked against its schema, and their graphs."""
    dataset = trained.config.data.budgeted(TreeDataset(list(samples)))
    trained.schema.check(dataset, where, labelled=False)
    cache = trained.config.train.cache_dir
    return dataset, to_graphs(dataset, trained.schema, trained.encoder, cache, labelled=False)


def _raw_logits(
    trained: TrainedModel, samples: Iterator[TreeSample], options: _Options, where: str
) -> torch.Tensor | None:
    """The network's own logits (N, c) on every sample, chunk by chunk, when a prior of the
    model adapts to the data it scores; else None (and nothing is read)."""
    if not trained.model.priors.adapts:
        return None
    size = options.batch_size or trained.config.train.batch_size
    parts = []
    for chunk in _chunks(samples):
        with _sources_named(chunk, where):
            parts.append(run_model(trained.model, sample_graphs(trained, chunk, where)[1], size).logits)
    return torch.cat(parts) if parts else None


@contextmanager
def _sources_named(samples: Sequence[TreeSample], where: str) -> Iterator[None]:
    """A sample whose scores are not finite is named with the file and line it came from."""
    try:
        yield
    except NonFiniteOutputError as error:
        source = next((s.source for s in samples if s.id == error.sample_id and s.source), where)
        raise NonFiniteOutputError(error.sample_id, error.logits, source) from None


def _predict_chunk(
    members: Sequence[TrainedModel],
    samples: Sequence[TreeSample],
    options: _Options,
    where: str,
) -> list[SamplePrediction]:
    """One chunk's predictions: the members' class probabilities averaged.

    Shapes:
        each member's probabilities (n, c), stacked (m, n, c) -> mean (n, c).
    """
    first = members[0]
    dataset, graphs = sample_graphs(first, samples, where)  # members share schema, encoder and budget
    size = options.batch_size or first.config.train.batch_size
    with _sources_named(samples, where):
        predictions = [run_model(m.model, graphs, size) for m in members]
    probabilities = torch.stack([torch.softmax(p.logits.float(), -1) for p in predictions]).mean(0)
    if options.neighbours is not None:
        mixed = options.neighbours.apply(probabilities.numpy(), text_embeddings(first, dataset))
        probabilities = torch.from_numpy(mixed)
    names = first.schema.labels.names
    explanations = (
        explain_graphs(first.model, graphs, predictions[0], options.top_k) if options.explain else None
    )
    out = []
    for i, sample in enumerate(dataset):
        row = probabilities[i]
        out.append(
            SamplePrediction(
                id=sample.id,
                label=names[int(row.argmax())],
                probabilities={str(name): float(row[k]) for k, name in enumerate(names)},
                explanation=None if explanations is None else _explanation(sample, explanations[i]),
            )
        )
    return out


def _explanation(sample: TreeSample, explained: Any) -> dict[str, Any]:
    return {
        "modality_weights": explained.modality_weights,
        "top_nodes": [
            {"id": sample.node_ids[n.position], "depth": n.depth, "attention": n.attention}
            for n in explained.top_nodes
        ],
        "priors": explained.priors,
    }


def _json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
