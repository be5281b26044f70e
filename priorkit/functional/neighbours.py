"""Text neighbours: a trained model's class probabilities mixed with a vote of the labelled samples
whose text embeddings lie nearest.

On data where texts recur (retold stories, near-duplicate posts), a nearest neighbour on the text
embedding can beat a trained network: it remembers every training text exactly, where the
network's decision surface smooths them. :func:`choose_mix` fits the mixture

    p = weight * p_model + (1 - weight) * p_neighbours

on validation data only: the number of neighbours ``k``, the temperature of their similarity
weights and the model's ``weight`` that give the validation samples the highest likelihood (the
neighbours are drawn from the training samples). ``weight = 1`` is the model alone, and is
chosen wherever the neighbours do not help on validation data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

NEIGHBOURS = (1, 5, 10, 30)
TEMPERATURES = (0.02, 0.05, 0.1)
WEIGHTS = tuple(np.round(np.linspace(0.0, 1.0, 11), 2).tolist())
_FLOOR = 1e-6  # a probability floor: a one-hot vote that misses costs log(1e-6), not infinity
_BLOCK = 2048


@dataclass(frozen=True)
class NeighbourMix:
    """The mixture chosen on validation data.

    Args:
        k: neighbours that vote; temperature: softness of their weights ``exp((cos - 1) / t)``.
        weight: the model's share of the mixture (1: the model alone).
        val_nll: mean negative log-likelihood of the validation labels under the mixture;
        model_val_nll: the same under the model alone.
    """

    k: int
    temperature: float
    weight: float
    val_nll: float
    model_val_nll: float

    def mix(self, model: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
        """Shapes: model, neighbours: (n, c) probabilities -> (n, c)."""
        return self.weight * model + (1.0 - self.weight) * neighbours


def unit_rows(embeddings: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero). Shapes: (n, t) -> (n, t)."""
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return embeddings / np.maximum(norms, 1e-12)


def nearest(query: np.ndarray, pool: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` pool rows most similar (cosine) to each query row, most similar first: their
    similarities and their indices (``k`` at most the pool's size). The query is taken a block
    of rows at a time, so memory grows with the block, not with the query.

    Shapes:
        query: (q, t); pool: (p, t) -> (q, min(k, p)) float, (q, min(k, p)) int.
    """
    if len(pool) == 0:
        raise ValueError("neighbour_probabilities: the pool of labelled samples is empty")
    k = min(k, len(pool))
    pool_unit, similarities, indices = unit_rows(pool), [], []
    for start in range(0, len(query), _BLOCK):
        cosine = unit_rows(query[start : start + _BLOCK]) @ pool_unit.T
        top = np.argpartition(-cosine, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(cosine, top, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        similarities.append(np.take_along_axis(values, order, axis=1))
        indices.append(np.take_along_axis(top, order, axis=1))
    if not similarities:
        return np.zeros((0, k)), np.zeros((0, k), dtype=np.int64)
    return np.concatenate(similarities), np.concatenate(indices)


def votes(
    similarities: np.ndarray,
    indices: np.ndarray,
    pool_labels: np.ndarray,
    num_classes: int,
    k: int,
    temperature: float,
) -> np.ndarray:
    """Class probabilities from the first ``k`` of each row's nearest pool rows (as
    :func:`nearest` gives them), each weighted by ``exp((cos - 1) / temperature)``.

    Shapes:
        similarities, indices: (q, K) with K >= k (or the pool's size); pool_labels: (p,) int
        -> (q, num_classes).
    """
    cosine, near = similarities[:, :k], indices[:, :k]
    weights = np.exp((cosine - 1.0) / temperature)
    out = np.zeros((len(cosine), num_classes))
    np.add.at(out, (np.arange(len(cosine))[:, None], pool_labels[near]), weights)
    return out / np.maximum(out.sum(axis=1, keepdims=True), np.finfo(float).tiny)


def neighbour_probabilities(
    query: np.ndarray,
    pool: np.ndarray,
    pool_labels: np.ndarray,
    num_classes: int,
    k: int,
    temperature: float,
) -> np.ndarray:
    """Class probabilities from the ``k`` pool rows most similar (cosine) to each query row, each
    weighted by ``exp((cos - 1) / temperature)``.

    Shapes:
        query: (q, t); pool: (p, t); pool_labels: (p,) int class indices -> (q, num_classes).
    """
    similarities, indices = nearest(query, pool, k)
    return votes(similarities, indices, pool_labels, num_classes, k, temperature)


def _nll(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.log(np.maximum(probabilities[np.arange(len(labels)), labels], _FLOOR)).mean())


def choose_mix(
    model_val: np.ndarray,
    val_embeddings: np.ndarray,
    val_labels: np.ndarray,
    train_embeddings: np.ndarray,
    train_labels: np.ndarray,
    neighbours: tuple[int, ...] = NEIGHBOURS,
    temperatures: tuple[float, ...] = TEMPERATURES,
    weights: tuple[float, ...] = WEIGHTS,
) -> NeighbourMix:
    """The (k, temperature, weight) whose mixture gives the validation labels the highest
    likelihood; on equal likelihood the larger model weight, then fewer neighbours, then the
    lower temperature.

    Shapes:
        model_val: (v, c) the model's probabilities on the validation samples;
        val_embeddings: (v, t); val_labels: (v,) int; train_embeddings: (p, t); train_labels: (p,) int.
    """
    if not (neighbours and temperatures and weights):
        raise ValueError("choose_mix: every grid (neighbours, temperatures, weights) needs a value")
    if len(val_labels) == 0 or not np.isfinite(model_val).all():
        raise ValueError(
            f"choose_mix: expected finite model probabilities for at least one validation sample "
            f"(got {len(val_labels)} samples); the mixture is chosen on validation data only."
        )
    num_classes = model_val.shape[1]
    near = nearest(val_embeddings, train_embeddings, max(neighbours))  # once for every (k, temperature)
    candidates = []
    for k, temperature in itertools.product(neighbours, temperatures):
        vote = votes(*near, train_labels, num_classes, k, temperature)
        for weight in weights:
            nll = _nll(weight * model_val + (1.0 - weight) * vote, val_labels)
            candidates.append((round(nll, 9), -weight, k, temperature))
    nll, weight, k, temperature = min(candidates)
    return NeighbourMix(
        k=k, temperature=temperature, weight=-weight, val_nll=nll, model_val_nll=_nll(model_val, val_labels)
    )
