"""Running a model over graphs and keeping what the analyses need."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor
from torch_geometric.data import Data

from priorkit.data.batch import PriorBatch, graph_loader
from priorkit.errors import PriorkitError
from priorkit.fusion.base import MODALITIES
from priorkit.heap import trim
from priorkit.model import PriorModel


class NonFiniteOutputError(PriorkitError, ValueError):
    """The model's class scores for a sample are not numbers (NaN, or +inf): its inputs
    overflow the network. ``sample_id`` names the sample, ``source`` (``file:line``) where it was
    read, when the caller knows."""

    def __init__(self, sample_id: str, logits: Tensor, source: str = "") -> None:
        self.sample_id, self.logits = sample_id, logits
        super().__init__(
            f"{source + ': ' if source else ''}sample {sample_id}: logits: expected finite class "
            "scores from the model (got "
            f"{[round(v, 4) for v in logits.tolist()]}); its inputs overflow the network: check "
            "the sample's node features for extreme values (scale or log-transform them as the "
            "training data were)"
        )


def check_finite(logits: Tensor, sample_ids: Sequence[str]) -> None:
    """Raise :class:`NonFiniteOutputError` for the first sample whose scores hold a NaN or
    +inf, or are -inf for every class (a class ruled out by a prior, at -inf, is a score).

    Shapes:
        logits: (b, c); sample_ids: b ids.
    """
    bad = logits.isnan().any(-1) | logits.isposinf().any(-1) | logits.isneginf().all(-1)
    if bool(bad.any()):
        k = int(bad.nonzero()[0, 0])
        raise NonFiniteOutputError(sample_ids[k], logits[k].detach().float().cpu())


@dataclass(frozen=True)
class Predictions:
    """Per sample and per node results of one pass over a dataset.

    Shapes:
        logits: (b, c); y: (b,), None for unlabelled graphs; modality_weights: (b, 2) or None;
        readout_attention, depth, batch: (n,) over every node of the dataset; root_index: (b,).
        prior_measures: each prior's ``measure`` (``label/metric``), averaged over the
            samples of the batches where it was measured (empty unless asked for).
        fused: (b, d) the fused vectors the head read, or None; group: each sample's ``group``
            ("" for none).
    """

    logits: Tensor
    y: Tensor | None
    modality_weights: Tensor | None
    readout_attention: Tensor
    depth: Tensor
    batch: Tensor
    root_index: Tensor
    prior_measures: dict[str, float] = field(default_factory=dict)
    fused: Tensor | None = None
    group: list[str] = field(default_factory=list)

    @property
    def predicted(self) -> Tensor:
        return self.logits.argmax(-1)

    def node_ranges(self) -> list[tuple[int, int]]:
        """``(start, count)`` of each graph's nodes in the per-node tensors, in graph order."""
        counts = torch.bincount(self.batch, minlength=len(self.root_index))
        starts = torch.cumsum(counts, 0) - counts
        return list(zip(starts.tolist(), counts.tolist(), strict=True))

    def shares(self, i: int) -> dict[str, float] | None:
        """Graph ``i``'s fusion weights by modality, or None for a fusion without them."""
        if self.modality_weights is None:
            return None
        return {m: float(self.modality_weights[i, k]) for k, m in enumerate(MODALITIES)}


def predict(
    model: PriorModel, graphs: Sequence[Data], batch_size: int = 64, measure_priors: bool = False
) -> Predictions:
    """Evaluate ``model`` (in eval mode) over ``graphs``, in order; with ``measure_priors``,
    also run every prior's ``measure`` on each batch."""
    return predict_batches(model, graph_loader(list(graphs), batch_size), measure_priors)


@torch.no_grad()
def predict_batches(
    model: PriorModel, batches: Iterable[PriorBatch], measure_priors: bool = False
) -> Predictions:
    """:func:`predict` over batches already collated (a pass that runs the same graphs, changed,
    many times collates them once), in order."""
    was_training = model.training
    model.eval()
    parts: dict[str, list[Tensor]] = {key: [] for key in PER_BATCH}
    weights: list[Tensor | None] = []
    fused: list[Tensor | None] = []
    groups: list[str] = []
    offset_nodes, offset_graphs = 0, 0
    measures = _WeightedMeans()
    device = next(model.parameters()).device
    for batch in batches:
        batch = batch.to(device)
        out = model(replace(batch, y=None))  # no labels: no losses (nor enforcement estimates) to compute
        check_finite(out.logits, batch.sample_id)
        if measure_priors:
            measures.add(model.priors.measure(out, batch), batch.num_graphs)
        g = batch.graph
        # only what the analyses read is kept: a batch's whole output (node states, messages)
        # would hold every batch of the pass in memory until its end
        kept = (
            out.logits,
            batch.y if batch.y is not None else torch.full_like(out.logits[:, 0], -1, dtype=torch.long),
            out.readout_attention,
            g.depth,
            g.batch + offset_graphs,
            g.root_index + offset_nodes,
        )
        for key, value in zip(PER_BATCH, kept, strict=True):
            parts[key].append(value.cpu())  # type: ignore[union-attr]
        weights.append(None if out.modality_weights is None else out.modality_weights.cpu())
        fused.append(None if out.fused is None else out.fused.float().cpu())
        groups.extend(batch.groups)
        offset_nodes += g.num_nodes
        offset_graphs += batch.num_graphs
    model.train(was_training)
    trim()  # the pass's blocks of varying size leave holes in the C heap: give their pages back
    joined = {key: torch.cat(values) for key, values in parts.items()}
    if bool((joined["y"] < 0).any()):
        joined["y"] = None  # type: ignore[assignment]
    return Predictions(
        **joined,
        modality_weights=None if any(w is None for w in weights) else torch.cat(weights),  # type: ignore[arg-type]
        prior_measures=_with_summaries(model, measures.means()) if measure_priors else {},
        fused=None if any(f is None for f in fused) else torch.cat(fused),  # type: ignore[arg-type]
        group=groups,
    )


def measured_only(measures: dict[str, float]) -> dict[str, float]:
    """Prior measures without those a prior could not take on the data (NaN): what reports and
    explanations write (compliance reads the NaN as a rule not measured)."""
    return {k: v for k, v in measures.items() if math.isfinite(v)}


def _with_summaries(model: PriorModel, means: dict[str, float]) -> dict[str, float]:
    return {**means, **model.priors.summarise(means)}


@contextmanager
def adapted_to(model: PriorModel, logits: Tensor | None) -> Iterator[None]:
    """Inside, the model's priors that adapt to the data they score (``label_shift``) are
    adapted to the set whose raw logits (N, c) are ``logits`` (None: nothing to adapt)."""
    if logits is None or not model.priors.adapts:
        yield
        return
    try:
        model.priors.adapt(logits)
        yield
    finally:
        model.priors.adapt(None)  # also when a prior could not adapt: none keeps a half state


@contextmanager
def adapted(model: PriorModel, graphs: Sequence[Data], batch_size: int = 64) -> Iterator[None]:
    """:func:`adapted_to` the raw logits of ``graphs`` (one pass over them, only when a prior
    of the model adapts)."""
    logits = predict(model, graphs, batch_size).logits if model.priors.adapts else None
    with adapted_to(model, logits):
        yield


PER_BATCH = ("logits", "y", "readout_attention", "depth", "batch", "root_index")


class _WeightedMeans:
    """Means of per-batch values weighted by batch size; NaN values are left out."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, values: dict[str, float], size: int) -> None:
        for key, value in values.items():
            if not math.isnan(value):
                self.sums[key] = self.sums.get(key, 0.0) + value * size
                self.counts[key] = self.counts.get(key, 0) + size

    def means(self) -> dict[str, float]:
        return {key: self.sums[key] / self.counts[key] for key in self.sums}
