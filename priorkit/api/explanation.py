"""``explain``: a picture of what a trained model read in each tree (``pk.explain``,
``priorkit predict --html``): readout attention and node reliance on the drawn tree, the
modality shares beside the text, as self-contained HTML."""

from __future__ import annotations

import html
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, overload

import numpy as np

from priorkit.analysis.node_occlusion import node_occlusion
from priorkit.analysis.predict import predict as run_model
from priorkit.analysis.tree_view import TreeView, explanation_html, explanation_section, tree_svg
from priorkit.api.prediction import SamplePrediction, predict, sample_graphs
from priorkit.atomic import atomic_write
from priorkit.data.jsonl import iter_jsonl, validate_jsonl
from priorkit.data.problems import DataValidationError
from priorkit.data.sample import TreeSample
from priorkit.data.sources import DataSource, as_dataset
from priorkit.escaping import clipped, path_safe
from priorkit.locks import folder_lock
from priorkit.runs.trained import TrainedModel, as_trained

CHUNK = 64  # samples explained at a time by write_explanations


@dataclass(frozen=True)
class TreeExplanation:
    """One sample's prediction and its picture.

    Args:
        prediction: as :func:`~priorkit.api.prediction.predict` gives it.
        view: what the picture shows (attention and reliance per node, the shares).
    """

    prediction: SamplePrediction
    view: TreeView

    def html(self) -> str:
        """A self-contained HTML page (no script, no network)."""
        return explanation_html(self.view)

    def svg(self) -> str:
        """The tree alone, as inline SVG."""
        return tree_svg(self.view)

    def section(self, heading: str = "h3") -> str:
        """The page's body, to embed in another page."""
        return explanation_section(self.view, heading)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`html` to ``path`` (atomically); returns it."""
        with atomic_write(path) as handle:
            handle.write(self.html())
        return Path(path)


@overload
def explain(
    model: TrainedModel | str | os.PathLike[str],
    samples: TreeSample | Mapping[str, Any],
    reliance: bool = True,
    batch_size: int | None = None,
) -> TreeExplanation: ...
@overload
def explain(
    model: TrainedModel | str | os.PathLike[str],
    samples: DataSource,
    reliance: bool = True,
    batch_size: int | None = None,
) -> list[TreeExplanation]: ...
def explain(
    model: TrainedModel | str | os.PathLike[str],
    samples: TreeSample | Mapping[str, Any] | DataSource,
    reliance: bool = True,
    batch_size: int | None = None,
) -> TreeExplanation | list[TreeExplanation]:
    """Explain one sample (a :class:`TreeSample` or a record: one explanation) or many (a
    dataset, a list, a JSONL path: a list).

    Args:
        reliance: measure each node's reliance by occlusion (one forward pass per node; trees
            of more than 2,000 nodes are drawn without it).
        batch_size: samples per forward pass (default: the training batch size).
    """
    trained = as_trained(model)
    single = isinstance(samples, (TreeSample, Mapping))
    dataset = as_dataset([samples] if single else samples, "samples")  # type: ignore[list-item]
    out = list(_explained(trained, list(dataset), reliance, batch_size)) if len(dataset) else []
    return out[0] if single else out


def _explained(
    trained: TrainedModel, samples: Sequence[TreeSample], reliance: bool, batch_size: int | None
) -> Iterator[TreeExplanation]:
    predictions = predict(trained, samples, batch_size=batch_size)
    budgeted, graphs = sample_graphs(trained, samples, "samples")
    size = batch_size or trained.config.train.batch_size
    raw = run_model(trained.model, graphs, size)
    parts = zip(budgeted, graphs, predictions, raw.node_ranges(), strict=True)
    for i, (sample, graph, prediction, (start, count)) in enumerate(parts):
        effect = node_occlusion(trained.model, graph, size) if reliance else None
        view = TreeView(
            sample_id=sample.id,
            text=sample.text,
            label=str(prediction.label),
            probabilities=prediction.probabilities,
            node_ids=list(sample.node_ids),
            node_texts=list(sample.node_text) if sample.node_text is not None else [None] * sample.num_nodes,
            parent_index=np.asarray(sample.parent_index),
            depth=np.asarray(sample.depth),
            attention=raw.readout_attention[start : start + count].numpy(),
            reliance=None if effect is None else effect.numpy(),
            shares=raw.shares(i),
        )
        yield TreeExplanation(prediction, view)


def write_explanations(
    model: TrainedModel | str | os.PathLike[str],
    data: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    reliance: bool = True,
    batch_size: int | None = None,
) -> list[Path]:
    """One HTML page per sample of the JSONL file ``data`` in ``folder`` (``<line>-<id>.html``)
    and an ``index.html`` that links them, a chunk of samples at a time.

    Raises:
        DataValidationError: a bad line (the file is validated first; nothing is written).
    """
    trained = as_trained(model)
    problems = validate_jsonl(data)
    if problems:
        raise DataValidationError(problems)
    out = Path(folder)
    pages: list[Path] = []
    links: list[str] = []
    with folder_lock(out, "a folder no other process writes explanations into", "Use another folder."):
        samples = iter_jsonl(data)
        while chunk := list(islice(samples, CHUNK)):
            for explanation in _explained(trained, chunk, reliance, batch_size):
                name = clipped(path_safe(explanation.view.sample_id), 120)  # room for a temporary suffix
                page = out / f"{len(pages) + 1:06d}-{name}.html"
                pages.append(explanation.save(page))
                links.append(_link(page.name, explanation))
        with atomic_write(out / "index.html") as handle:
            handle.write(_index(links))
    return pages


def _link(name: str, explanation: TreeExplanation) -> str:
    label = html.escape(str(explanation.prediction.label))
    return f'<li><a href="{html.escape(name)}">{html.escape(explanation.view.sample_id)}</a>: {label}</li>'


def _index(links: list[str]) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>priorkit explanations'
        f"</title></head><body><h1>Explanations ({len(links)} samples)</h1><ul>{''.join(links)}</ul>"
        "</body></html>"
    )
