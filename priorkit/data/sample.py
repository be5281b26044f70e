"""``TreeSample``: one text, one tree of users, one label — the unit every loader produces."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import torch

from priorkit.functional.tree import walk_to_root

Label = str | int
Features = np.ndarray | sp.csr_matrix


@dataclass(eq=False)
class TreeSample:
    """A text paired with a rooted tree of users, and its label.

    Node-level data is stored column-wise (one array per field), so that trees with
    thousands of nodes cost a few arrays rather than thousands of Python objects.
    Samples are built by loaders after validation; build one by hand with
    :func:`priorkit.data.sample_from_nodes` to get the same checks.

    Args:
        id: unique sample id.
        text: the sample's text (a review, a source post).
        label: a string or an integer; None for an unlabelled sample (prediction only: training
            and evaluation refuse it).
        node_ids: id of every node.
        parent_index: index of each node's parent; the root is its own parent.
        features: numeric node features, dense or scipy CSR (bag of words), or None.
        time: minutes after the root, NaN where unknown, or None.
        importance: a per-node annotation (0 where absent), or None.
        node_text: text of each node (None where absent), or None.
        user: user id of each node (None where absent), or None.
        group: optional group (an event name) for leave-one-group-out splits.
        created_at: when the sample (its root post) was posted, seconds since 1970-01-01 UTC,
            or None; temporal splits order samples by it.
        counterfactual_of: id of the sample this one is a counterfactual of, if any.
        source: where the sample came from, ``"file:line"``, for error messages.

    Shapes:
        parent_index: (n,) int64; features: (n, f); time, importance: (n,) float32.
    """

    id: str
    text: str
    label: Label | None
    node_ids: list[str]
    parent_index: np.ndarray
    features: Features | None = None
    time: np.ndarray | None = None
    importance: np.ndarray | None = None
    node_text: list[str | None] | None = None
    user: list[str | None] | None = None
    group: str | None = None
    created_at: float | None = None
    counterfactual_of: str | None = None
    source: str = field(default="", repr=False)

    @property
    def num_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def root(self) -> int:
        """Index of the root node."""
        return int(np.flatnonzero(self.parent_index == np.arange(self.num_nodes))[0])

    @property
    def num_features(self) -> int:
        return 0 if self.features is None else int(self.features.shape[1])

    @cached_property
    def depth(self) -> np.ndarray:
        """Edges between each node and the root, (n,) int64."""
        return walk_to_root(torch.from_numpy(self.parent_index)).depth.numpy()

    @cached_property
    def user_hash(self) -> np.ndarray:
        """Stable hash of each node's user id (0 where unknown), (n,) int64."""
        if self.user is None:
            return np.zeros(self.num_nodes, dtype=np.int64)
        return np.fromiter(
            (0 if u is None else zlib.crc32(u.encode()) + 1 for u in self.user),
            dtype=np.int64,
            count=self.num_nodes,
        )

    def dense_features(self) -> np.ndarray | None:
        """Features as a dense (n, f) float32 array (converts a sparse bag of words)."""
        if self.features is None or isinstance(self.features, np.ndarray):
            return self.features
        return np.asarray(self.features.todense(), dtype=np.float32)
