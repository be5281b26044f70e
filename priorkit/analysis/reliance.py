"""Modality reliance by permutation: what the model *does*, not what its gate shows.

Shuffle one modality across the evaluation set (each sample keeps its label and the other
modality) and measure how much accuracy drops and how many predictions change. The drops
become shares that sum to 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch_geometric.data import Data

from priorkit.analysis.predict import Predictions, predict, predict_batches
from priorkit.data.batch import PriorBatch, graph_loader
from priorkit.data.recombine import with_text_of, with_tree_of
from priorkit.model import PriorModel

SHUFFLES: dict[str, Callable[[Sequence[Data], Sequence[Data]], list[Data]]] = {
    "text": with_text_of,
    "graph": with_tree_of,
}


@dataclass(frozen=True)
class Reliance:
    """Args:
    shares: ``{"text": s, "graph": 1 - s}`` from the accuracy drops (from the prediction
        changes when neither shuffle lowers accuracy).
    accuracy_drop, prediction_change: per modality, averaged over the repeats.
    repeats: shuffles per modality.
    """

    shares: dict[str, float]
    accuracy_drop: dict[str, float]
    prediction_change: dict[str, float]
    repeats: int

    def to_dict(self) -> dict[str, object]:
        return {
            "shares": self.shares,
            "accuracy_drop": self.accuracy_drop,
            "prediction_change": self.prediction_change,
            "repeats": self.repeats,
        }


def shares_of(values: dict[str, float]) -> dict[str, float] | None:
    """``values`` clipped at 0 and scaled to sum to 1; None when nothing is above 0."""
    clipped = {k: max(v, 0.0) for k, v in values.items()}
    total = sum(clipped.values())
    return None if total <= 0 else {k: v / total for k, v in clipped.items()}


def effect_shares(
    drop: dict[str, float], change: dict[str, float], keys: Sequence[str], fallback: float
) -> dict[str, float]:
    """Shares of ``keys`` (summing to 1) from their accuracy drops, from their prediction
    changes when no drop is above 0, else ``fallback`` for each: the one rule that turns
    permutation effects into shares, for modalities and node groups alike."""
    for values in (drop, change):
        shares = shares_of({k: values[k] for k in keys})
        if shares is not None:
            return shares
    return dict.fromkeys(keys, fallback)


Shuffle = Callable[[torch.Generator], Iterable[PriorBatch]]
"""One random draw of a shuffled evaluation set, as batches to run, from the generator given."""


def permutation_effect(
    model: PriorModel, base: Predictions, shuffled: Shuffle, repeats: int, generator: torch.Generator
) -> tuple[float, float]:
    """Mean accuracy drop and mean share of changed predictions, against ``base``, of the sets
    ``shuffled(generator)`` draws, over ``repeats`` draws."""
    base_accuracy = float((base.predicted == base.y).float().mean())
    drops, changes = [], []
    for _ in range(repeats):
        predicted = predict_batches(model, shuffled(generator)).predicted
        drops.append(base_accuracy - float((predicted == base.y).float().mean()))
        changes.append(float((predicted != base.predicted).float().mean()))
    return sum(drops) / repeats, sum(changes) / repeats


def _swap(modality: str, graphs: Sequence[Data], batch_size: int) -> Shuffle:
    recombine = SHUFFLES[modality]

    def shuffled(generator: torch.Generator) -> Iterable[PriorBatch]:
        permutation = torch.randperm(len(graphs), generator=generator).tolist()
        return graph_loader(recombine(graphs, [graphs[j] for j in permutation]), batch_size)

    return shuffled


def permutation_effects(
    model: PriorModel,
    graphs: Sequence[Data],
    shuffles: dict[str, Shuffle],
    repeats: int = 5,
    seed: int = 0,
    batch_size: int = 64,
    base: Predictions | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """:func:`permutation_effect` of every named shuffle of ``graphs``, in order, from one
    seeded generator: (accuracy drop, prediction change) by name.

    Args:
        base: the model's predictions on ``graphs`` when the caller already has them.
    """
    base = base if base is not None else predict(model, graphs, batch_size)
    generator = torch.Generator().manual_seed(seed)
    drop: dict[str, float] = {}
    change: dict[str, float] = {}
    for name, shuffled in shuffles.items():
        drop[name], change[name] = permutation_effect(model, base, shuffled, repeats, generator)
    return drop, change


def modality_reliance(
    model: PriorModel,
    graphs: Sequence[Data],
    repeats: int = 5,
    seed: int = 0,
    batch_size: int = 64,
    base: Predictions | None = None,
) -> Reliance:
    """Permutation reliance of ``model`` on text and graph over ``graphs`` (labelled)."""
    shuffles = {modality: _swap(modality, graphs, batch_size) for modality in SHUFFLES}
    drop, change = permutation_effects(model, graphs, shuffles, repeats, seed, batch_size, base)
    return Reliance(effect_shares(drop, change, list(SHUFFLES), 1.0 / len(SHUFFLES)), drop, change, repeats)
