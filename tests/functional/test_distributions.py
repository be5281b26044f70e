import math

import pytest
import torch

from priorkit.functional.distributions import (
    mass_by_depth,
    segment_kl,
    segment_normalise,
    segment_topk_overlap,
)

INDEX = torch.tensor([0, 0, 0, 1, 1])


def slow_kl(p: list[float], q: list[float]) -> float:
    return sum(a * math.log(a / b) for a, b in zip(p, q, strict=True) if a > 0)


def test_normalise_per_segment_and_keep_empty_segments_at_zero() -> None:
    out = segment_normalise(torch.tensor([1.0, 1.0, 2.0, 0.0, 0.0]), INDEX, 2)
    assert out.tolist() == [0.25, 0.25, 0.5, 0.0, 0.0]


def test_kl_matches_the_obvious_reference_per_head() -> None:
    p = torch.tensor([0.5, 0.25, 0.25, 1.0, 0.0])
    q = torch.tensor([[0.2, 0.5], [0.3, 0.25], [0.5, 0.25], [0.6, 0.5], [0.4, 0.5]])
    kl = segment_kl(p, q, INDEX, 2)
    assert kl.shape == (2, 2)
    assert kl[0, 0] == pytest.approx(slow_kl([0.5, 0.25, 0.25], [0.2, 0.3, 0.5]))
    assert kl[0, 1] == pytest.approx(0.0, abs=1e-7)
    assert kl[1, 0] == pytest.approx(math.log(1 / 0.6))


def test_topk_overlap() -> None:
    target = torch.tensor([0.7, 0.2, 0.1, 0.9, 0.1])
    attention = torch.tensor([0.05, 0.8, 0.15, 0.6, 0.4])
    assert segment_topk_overlap(target, attention, INDEX, 2, k=1).tolist() == [0.0, 1.0]
    assert segment_topk_overlap(target, attention, INDEX, 2, k=2).tolist() == [0.5, 1.0]


def test_mass_by_depth_buckets_deep_nodes_together() -> None:
    mass = mass_by_depth(
        torch.tensor([0.5, 0.3, 0.2, 1.0]), torch.tensor([0, 3, 5, 0]), torch.tensor([0, 0, 0, 1]), 2
    )
    assert mass.tolist() == [[0.5, 0.0, 0.0, 0.5], [1.0, 0.0, 0.0, 0.0]]
