import math

import numpy as np
import pytest

from priorkit.functional.neighbours import NeighbourMix, choose_mix, nearest, neighbour_probabilities


def test_neighbour_votes_by_hand() -> None:
    pool = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1])
    query = np.array([[3.0, 0.0]])
    one = neighbour_probabilities(query, pool, labels, num_classes=2, k=1, temperature=0.1)
    assert one.tolist() == [[1.0, 0.0]]
    # two nearest: [1, 0] (cos 1, weight 1) and [1, 1] (cos 0.7071, weight exp(-2.929))
    two = neighbour_probabilities(query, pool, labels, num_classes=2, k=2, temperature=0.1)
    other = math.exp((1 / math.sqrt(2) - 1) / 0.1)
    assert two[0] == pytest.approx([1 / (1 + other), other / (1 + other)])
    assert neighbour_probabilities(query, pool, labels, 2, k=10, temperature=0.1).sum() == pytest.approx(1.0)


def test_an_empty_pool_is_refused() -> None:
    with pytest.raises(ValueError, match="pool of labelled samples is empty"):
        neighbour_probabilities(np.ones((1, 2)), np.zeros((0, 2)), np.zeros(0, np.int64), 2, 1, 0.1)


def _world(seed: int, recurring: bool) -> tuple[np.ndarray, ...]:
    """Training texts in 40 clusters with a label each; validation texts from the same clusters
    (recurring) or from new ones with labels unrelated to any training text."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, 16))
    cluster_labels = rng.integers(0, 3, size=40)
    train_clusters = rng.integers(0, 40, size=200)
    train = centres[train_clusters] + 0.05 * rng.normal(size=(200, 16))
    if recurring:
        val_clusters = rng.integers(0, 40, size=100)
        val = centres[val_clusters] + 0.05 * rng.normal(size=(100, 16))
        val_labels = cluster_labels[val_clusters]
    else:
        val = rng.normal(size=(100, 16))
        val_labels = rng.integers(0, 3, size=100)
    return train, cluster_labels[train_clusters], val, val_labels


def test_recurring_texts_get_the_neighbours_a_share_of_the_mixture() -> None:
    train, train_labels, val, val_labels = _world(0, recurring=True)
    uninformed = np.full((len(val), 3), 1 / 3)
    chosen = choose_mix(uninformed, val, val_labels, train, train_labels)
    assert chosen.weight < 0.5 and chosen.val_nll < chosen.model_val_nll
    assert (
        chosen.mix(
            uninformed, neighbour_probabilities(val, train, train_labels, 3, chosen.k, chosen.temperature)
        ).argmax(1)
        == val_labels
    ).mean() > 0.95


def test_a_model_that_is_right_keeps_the_whole_mixture_where_neighbours_know_nothing() -> None:
    train, train_labels, val, val_labels = _world(1, recurring=False)
    confident = np.full((len(val), 3), 0.02)
    confident[np.arange(len(val)), val_labels] = 0.96
    chosen = choose_mix(confident, val, val_labels, train, train_labels)
    assert chosen.weight == 1.0
    assert chosen.val_nll == pytest.approx(chosen.model_val_nll)


def test_the_mixture_is_a_convex_combination() -> None:
    mix = NeighbourMix(k=1, temperature=0.1, weight=0.25, val_nll=0.0, model_val_nll=0.0)
    out = mix.mix(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert out.tolist() == [[0.25, 0.75]]


def test_no_validation_data_or_broken_probabilities_are_refused() -> None:
    train, train_labels, val, val_labels = _world(3, recurring=True)
    with pytest.raises(ValueError, match="at least one validation sample"):
        choose_mix(np.zeros((0, 3)), val[:0], val_labels[:0], train, train_labels)
    broken = np.full((len(val), 3), np.nan)
    with pytest.raises(ValueError, match="finite model probabilities"):
        choose_mix(broken, val, val_labels, train, train_labels)


@pytest.mark.parametrize("seed", range(5))
def test_votes_match_a_brute_force_vote_over_every_pool_row(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool, query = rng.normal(size=(50, 6)), rng.normal(size=(9, 6))
    labels = rng.integers(0, 3, size=50)
    unit = lambda rows: rows / np.linalg.norm(rows, axis=1, keepdims=True)  # noqa: E731
    cosine = unit(query) @ unit(pool).T
    for k, temperature in ((1, 0.05), (7, 0.1), (50, 0.02), (80, 0.5)):
        expected = np.zeros((9, 3))
        for row in range(9):
            for j in np.argsort(-cosine[row])[: min(k, 50)]:
                expected[row, labels[j]] += math.exp((cosine[row, j] - 1.0) / temperature)
        expected /= expected.sum(axis=1, keepdims=True)
        got = neighbour_probabilities(query, pool, labels, 3, k, temperature)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
        similarities, _ = nearest(query, pool, k)
        assert (np.diff(similarities, axis=1) <= 0).all()  # most similar first
