"""The named places where priors add biases, and what a prior may read there.

Encoders and fusion call a :data:`BiasFn` at each site; they know the sites, never a
particular prior. The additive logits returned at a site are summed into the layer's own
logits before its softmax.

| site | logits it biases | bias shape |
|---|---|---|
| ``readout`` | attention of the graph readout over nodes | (n,) or (n, h) |
| ``message`` | attention of each message-passing layer over its directed edges | (m,) or (m, h) |
| ``fusion`` | the modality gate over (text, graph) | (b, 2) |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

SITES = ("readout", "message", "fusion")


@dataclass(frozen=True)
class SiteContext:
    """What a bias may depend on.

    Args:
        site: one of :data:`SITES`.
        depth: depth of every node; parent_index: the root is its own parent;
        root_index: the root of every graph; batch: graph of every node.
        num_heads: attention heads at this site (1 for ``fusion``).
        training: whether the model is training.
        message_index: for ``message``: (2, m) source and target of each directed edge.
        message_direction: for ``message``: 0 parent -> child (down), 1 child -> parent (up).
        layer: for ``message``: index of the message-passing layer.

    Shapes:
        depth, parent_index, batch: (n,); root_index: (b,); message_index: (2, m);
        message_direction: (m,).
    """

    site: str
    depth: Tensor
    parent_index: Tensor
    root_index: Tensor
    batch: Tensor
    num_heads: int
    training: bool
    message_index: Tensor | None = None
    message_direction: Tensor | None = None
    layer: int | None = None

    @property
    def num_graphs(self) -> int:
        return int(self.root_index.numel())


BiasFn = Callable[[str, SiteContext], Tensor | None]


def no_bias(site: str, ctx: SiteContext) -> None:
    """The bias function of a model without priors."""
    return None
