"""Reliance on each node of one tree, by occlusion: how much the probability of the predicted
class falls when one node's own content (features, user, reply text, time) is blanked, its
place in the tree kept. Node-group reliance (:mod:`priorkit.analysis.node_reliance`) asks the
question for groups over a dataset; this asks it node by node for one sample, for a picture.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from priorkit.analysis.predict import predict
from priorkit.data.recombine import NODE_CONTENT, with_node_rows
from priorkit.model import PriorModel

MAX_NODES = 2000
"""Trees larger than this are not occluded node by node (one forward pass per node)."""


def blank_rows(graph: Data, count: int) -> dict[str, Tensor]:
    """``count`` rows of blank node content: zeros, an unknown user (0), no time.

    Shapes:
        -> per field of :data:`~priorkit.data.recombine.NODE_CONTENT` in ``graph``: (count, ...).
    """
    rows = {}
    for name in NODE_CONTENT:
        if name in graph:
            value = graph[name]  # its shape and type only: a sparse bag of words stays sparse
            rows[name] = torch.zeros((count, *value.shape[1:]), dtype=value.dtype)
    return rows


def node_occlusion(model: PriorModel, graph: Data, batch_size: int = 64) -> Tensor | None:
    """The drop of the predicted class's probability when each node is blanked in turn
    (positive: the node supported the prediction); None for a tree over :data:`MAX_NODES`.

    Shapes:
        -> (n,) float.
    """
    n = int(graph.num_nodes)
    if n > MAX_NODES:
        return None
    base = predict(model, [graph], batch_size=1).logits.softmax(-1)[0]
    predicted = int(base.argmax())
    rows = blank_rows(graph, 1)
    occluded = []
    for start in range(0, n, batch_size):  # a chunk of copies at a time: memory stays flat
        variants = [
            with_node_rows(graph, _only(n, k), rows) for k in range(start, min(start + batch_size, n))
        ]
        occluded.append(predict(model, variants, batch_size=batch_size).logits.softmax(-1)[:, predicted])
    return base[predicted] - torch.cat(occluded)


def _only(n: int, k: int) -> Tensor:
    mask = torch.zeros(n, dtype=torch.bool)
    mask[k] = True
    return mask
