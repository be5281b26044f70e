"""Recombining samples: one sample's text with another sample's tree.

Both reliance by permutation (what a model does when a modality comes from another
sample) and counterfactual augmentation (texts paired with trees of another label) are
built on these. Graphs are shallow-copied; the inputs are never modified.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from torch_geometric.data import Data

TEXT_FIELDS = ("text", "text_embedding")
SAMPLE_FIELDS = (*TEXT_FIELDS, "y", "sample_id")


def _take(bases: Sequence[Data], sources: Sequence[Data], fields: tuple[str, ...]) -> list[Data]:
    """Copies of ``bases`` with ``fields`` taken from the matching ``sources``."""
    out = []
    for base, source in zip(bases, sources, strict=True):
        graph = copy.copy(base)
        for field in fields:
            if field in source:
                graph[field] = source[field]
        out.append(graph)
    return out


def with_text_of(receivers: Sequence[Data], donors: Sequence[Data]) -> list[Data]:
    """Each receiver keeps its tree and label and gets the text of its donor."""
    return _take(receivers, donors, TEXT_FIELDS)


def with_tree_of(receivers: Sequence[Data], donors: Sequence[Data]) -> list[Data]:
    """Each receiver keeps its text, label and id and gets the tree of its donor."""
    return _take(donors, receivers, SAMPLE_FIELDS)
