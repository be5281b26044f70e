"""Distributions over the nodes of each graph (or the incoming edges of each node).

Every function works on segments given by an index vector (``batch`` for nodes, the target
node for edges) and on one or several heads, so that attention of shape (n, h) is handled
head by head.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter, softmax

DEPTH_BUCKETS = ("0", "1", "2", "3+")


def depth_bucket(depth: Tensor) -> Tensor:
    """The index of each node's bucket of :data:`DEPTH_BUCKETS` (0, 1, 2, 3 for 3 or more).

    Shapes:
        depth: (n,) -> (n,) int64.
    """
    return depth.clamp(max=len(DEPTH_BUCKETS) - 1)


def mass_by_depth(attention: Tensor, depth: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """Attention mass of each graph at depth 0, 1, 2 and 3 or more.

    Shapes:
        attention, depth, batch: (n,) -> (b, 4).
    """
    mass = attention.new_zeros(num_graphs, len(DEPTH_BUCKETS))
    return mass.index_put((batch, depth_bucket(depth)), attention, accumulate=True)


def segment_normalise(weights: Tensor, index: Tensor, num_segments: int, eps: float = 1e-12) -> Tensor:
    """Non-negative weights scaled to sum to 1 within each segment (all-zero segments stay 0).

    Shapes:
        weights: (n,) or (n, h); index: (n,) -> like ``weights``.
    """
    total = scatter(weights, index, dim=0, dim_size=num_segments, reduce="sum")
    return weights / total.clamp_min(eps)[index]


def segment_log_softmax(scores: Tensor, index: Tensor, num_segments: int) -> Tensor:
    """Log of the softmax within each segment.

    Shapes:
        scores: (n,) or (n, h); index: (n,) -> like ``scores``.
    """
    return torch.log(softmax(scores, index, num_nodes=num_segments).clamp_min(1e-30))


def segment_kl(target: Tensor, attention: Tensor, index: Tensor, num_segments: int) -> Tensor:
    """KL(target || attention) of each segment, per head.

    Args:
        target: distributions summing to 1 per segment (or 0 for segments without one).
        attention: distributions summing to 1 per segment.

    Shapes:
        target: (n,) or (n, 1); attention: (n, h); index: (n,) -> (segments, h).
    """
    if target.dim() == 1:
        target = target.unsqueeze(-1)
    if attention.dim() == 1:
        attention = attention.unsqueeze(-1)
    terms = torch.where(
        target > 0, target * (torch.log(target.clamp_min(1e-30)) - torch.log(attention.clamp_min(1e-30))), 0.0
    )
    return scatter(terms, index, dim=0, dim_size=num_segments, reduce="sum")


def segment_topk_overlap(
    target: Tensor, attention: Tensor, index: Tensor, num_segments: int, k: int
) -> Tensor:
    """Share of the k most-weighted target elements of each segment that are also among the k
    most-attended ones (k is capped at the segment size; ties broken by position).

    Shapes:
        target, attention, index: (n,) -> (segments,).
    """
    overlap = torch.zeros(num_segments)
    order = torch.argsort(index, stable=True)
    counts = torch.bincount(index, minlength=num_segments).tolist()
    start = 0
    for segment, size in enumerate(counts):
        members = order[start : start + size]
        start += size
        if size == 0:
            continue
        top = min(k, size)
        want = set(members[torch.topk(target[members], top).indices].tolist())
        got = set(members[torch.topk(attention[members], top).indices].tolist())
        overlap[segment] = len(want & got) / top
    return overlap
