"""The leaves' share of reliance, estimated on a training batch (for priors that enforce it).

The same quantity as the ``leaves`` share of :mod:`priorkit.analysis.node_reliance`, on one
batch instead of an evaluation set: the drop of the true class's probability when the leaves'
content is permuted among the batch's leaves (within depth buckets), against the drop when
the roots' content is permuted, as ``drop(leaves) / (drop(leaves) + drop(root))``.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from priorkit.data.recombine import permute_batch_nodes
from priorkit.functional.distributions import depth_bucket
from priorkit.functional.tree import node_group

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput

LEAF_SHARE = "reliance_nodes.shares.leaves"
"""The report path of the leaves' share, the metric of the rules that bound it."""
MIN_DROP = 0.01
"""Below this drop of the true class's probability (root and leaves together) the model
relies on neither, and the share is 0 rather than the ratio of two noises."""


@torch.no_grad()
def batch_leaf_share(outputs: PriorModelOutput, batch: PriorBatch) -> Tensor:
    """The leaves' share on ``batch`` (0 when neither leaves nor roots move the prediction
    by :data:`MIN_DROP`);
    two extra forwards without gradients. The permutation is seeded by the batch's sample ids,
    so a resumed run draws what the uninterrupted one drew.

    Shapes:
        -> ().
    """
    graph = batch.graph
    if outputs.rerun is None or batch.y is None or batch.num_graphs < 2:
        return outputs.logits.new_zeros(())
    generator = torch.Generator().manual_seed(zlib.crc32("|".join(batch.sample_id).encode()))
    bucket = depth_bucket(graph.depth)
    y = batch.y[:, None]
    base = torch.softmax(outputs.logits, -1).gather(1, y).mean()
    drops = []
    for group in ("leaves", "root"):
        mask = node_group(group, graph.depth, graph.parent_index)
        logits = outputs.rerun(permute_batch_nodes(batch, mask, bucket, generator)).logits
        drops.append((base - torch.softmax(logits, -1).gather(1, y).mean()).clamp_min(0.0))
    total = drops[0] + drops[1]
    return drops[0] / total if float(total) > MIN_DROP else total.new_zeros(())
