"""Turning a :class:`TreeSample` into a torch_geometric ``Data`` object."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor
from torch_geometric.data import Data

from priorkit.data.labels import LabelSpace, label_space_or_none
from priorkit.data.sample import TreeSample
from priorkit.data.users import UserVocabulary
from priorkit.errors import PriorkitError
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


def _check_arguments(sample: object, labels: object, users: object) -> None:
    """Clear errors for arguments of :func:`sample_to_data` of the wrong kind."""
    if not isinstance(sample, TreeSample):
        record = isinstance(sample, Mapping)
        hint = " Make one from a record with pk.sample_from_dict(record)." if record else ""
        raise PriorkitError(f"sample_to_data: expected a TreeSample (got {type(sample).__name__}).{hint}")
    label_space_or_none(labels)
    if users is not None and not isinstance(users, UserVocabulary):
        raise PriorkitError(f"users: expected a UserVocabulary or None (got {type(users).__name__}).")


def sample_to_data(
    sample: TreeSample, labels: LabelSpace | None = None, users: UserVocabulary | None = None
) -> Data:
    """One sample as a PyG graph.

    Args:
        sample: the sample.
        labels: maps the label to ``y``; without it ``y`` is left out.
        users: numbers user ids by this vocabulary; without it ``user_code`` is the stable
            hash of the id (see ``TreeSample.user_hash``). 0 means unknown either way.

    Shapes:
        x: (n, f) float32 (sparse COO for bags of words); edge_index: (2, n-1) parent -> child;
        depth, parent_index, user_code: (n,) int64 (the root is its own parent);
        root_index: (1,); time, importance: (n,) float32 (time NaN -> 0, see time_mask);
        time_mask: (n,) bool, True where the time is known; y: (1,) int64.
        Non-tensor: text (str), node_text (list of str or None), sample_id (str),
        counterfactual_of (str, "" for none), group (str, "" for none).
    """
    _check_arguments(sample, labels, users)
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
        user_code=torch.from_numpy(sample.user_hash if users is None else users.codes(sample)),
        text=sample.text,
        node_text=sample.node_text if sample.node_text is not None else [None] * n,
        sample_id=sample.id,
        counterfactual_of=sample.counterfactual_of or "",
        group=sample.group or "",
        num_nodes=n,
    )
    if labels is not None:
        data.y = torch.tensor([labels.index(sample.label, where=f"sample {sample.id}: label")])
    return data


NODE_FIELDS = ("x", "depth", "time", "time_mask", "importance", "user_code", "node_text_embedding")


def keep_nodes(data: Data, keep: Tensor) -> Data:
    """The graph restricted to the nodes in ``keep``, which must be closed under parents (every
    kept node's parent is kept, e.g. all nodes up to some depth); the input is not modified.

    Shapes:
        keep: (n,) bool -> a graph with keep.sum() nodes.
    """
    new_index = torch.cumsum(keep.long(), 0) - 1
    out = data.clone()
    for field in NODE_FIELDS:
        if field in data:
            value = data[field]
            out[field] = value.to_dense()[keep].to_sparse_coo() if value.is_sparse else value[keep]
    out.parent_index = new_index[data.parent_index[keep]]
    out.root_index = new_index[data.root_index]
    out.edge_index = edge_index_from_parent(out.parent_index)
    if "node_text" in data:
        out.node_text = [t for t, k in zip(data.node_text, keep.tolist(), strict=True) if k]
    out.num_nodes = int(keep.sum())
    return out
