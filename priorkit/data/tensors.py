"""Turning a :class:`TreeSample` into a torch_geometric ``Data`` object."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor
from torch_geometric.data import Data

from priorkit.data.labels import LabelSpace
from priorkit.data.sample import TreeSample
from priorkit.functional.tree import edge_index_from_parent


def _features(sample: TreeSample) -> Tensor:
    features = sample.features
    if features is None:
        return torch.zeros(sample.num_nodes, 0)
    if isinstance(features, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    coo = sp.coo_matrix(features)
    index = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    return torch.sparse_coo_tensor(
        index,
        torch.from_numpy(coo.data.astype(np.float32)),
        size=coo.shape,
        is_coalesced=True,
        check_invariants=False,
    )


def sample_to_data(sample: TreeSample, labels: LabelSpace | None = None) -> Data:
    """One sample as a PyG graph.

    Args:
        sample: the sample.
        labels: maps the label to ``y``; without it ``y`` is left out.

    Shapes:
        x: (n, f) float32 (sparse COO for bags of words); edge_index: (2, n-1) parent -> child;
        depth, parent_index, user_hash: (n,) int64 (the root is its own parent);
        root_index: (1,); time, importance: (n,) float32 (time NaN -> 0, see time_mask);
        time_mask: (n,) bool, True where the time is known; y: (1,) int64.
        Non-tensor: text (str), node_text (list of str or None), sample_id (str).
    """
    n = sample.num_nodes
    parent_index = torch.from_numpy(sample.parent_index.astype(np.int64, copy=False))
    time = (
        torch.full((n,), float("nan"))
        if sample.time is None
        else torch.from_numpy(sample.time.astype(np.float32, copy=False))
    )
    time_mask = ~torch.isnan(time)
    data = Data(
        x=_features(sample),
        edge_index=edge_index_from_parent(parent_index),
        depth=torch.from_numpy(sample.depth),
        parent_index=parent_index,
        root_index=torch.tensor([sample.root]),
        time=torch.where(time_mask, time, torch.zeros_like(time)),
        time_mask=time_mask,
        importance=(
            torch.zeros(n)
            if sample.importance is None
            else torch.from_numpy(sample.importance.astype(np.float32, copy=False))
        ),
        user_hash=torch.from_numpy(sample.user_hash),
        text=sample.text,
        node_text=sample.node_text if sample.node_text is not None else [None] * n,
        sample_id=sample.id,
        num_nodes=n,
    )
    if labels is not None:
        data.y = torch.tensor([labels.index(sample.label, where=f"sample {sample.id}: label")])
    return data
