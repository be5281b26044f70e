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


def with_text_of(receivers: Sequence[Data], donors: Sequence[Data]) -> list[Data]:
    """Each receiver keeps its tree and label and gets the text of its donor."""
    out = []
    for receiver, donor in zip(receivers, donors, strict=True):
        graph = copy.copy(receiver)
        for field in TEXT_FIELDS:
            if field in donor:
                graph[field] = donor[field]
        out.append(graph)
    return out


def with_tree_of(receivers: Sequence[Data], donors: Sequence[Data]) -> list[Data]:
    """Each receiver keeps its text, label and id and gets the tree of its donor."""
    out = []
    for receiver, donor in zip(receivers, donors, strict=True):
        graph = copy.copy(donor)
        for field in SAMPLE_FIELDS:
            if field in receiver:
                graph[field] = receiver[field]
        out.append(graph)
    return out
