"""The named places where priors add biases, and what a prior may read there.

Encoders, fusion and model call a :data:`BiasFn` at each site; they know the sites, never
a particular prior. What a site returns is *added* to the tensor named below: logits
before their softmax, or states before they move on.

| site | what the bias is added to | bias shape | ``ctx.value`` |
|---|---|---|---|
| ``readout`` | attention logits of the graph readout over nodes | (n,) or (n, h) | None |
| ``message`` | attention logits of each message-passing layer over its edges | (m,) or (m, h) | None |
| ``message_scale`` | log weight of each message after the softmax (<= 0) | (m,) or (m, h) | None |
| ``nodes`` | node states after each message-passing layer (before its norm) | (n, d) | the states |
| ``text`` | the text vector entering the fusion | (b, t) | the vector |
| ``graph`` | the graph vector entering the fusion | (b, g) | the vector |
| ``fusion`` | the modality gate logits over (text, graph) | (b, 2) | the logits |
| ``fused`` | the fused vector the head reads | (b, f) | the vector |
| ``logits`` | the class logits of the head | (b, c) | the logits |

At the ``logits`` site ``ctx.remix(modality, source)`` gives the head's logits (before this
site's biases) for the same samples with one modality replaced, so that a prior can compare
the decision with the decision without that modality.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from torch import Tensor

SITES = ("readout", "message", "message_scale", "nodes", "text", "graph", "fusion", "fused", "logits")


@dataclass(frozen=True)
class SiteContext:
    """What a bias may depend on.

    Args:
        site: one of :data:`SITES`.
        depth: depth of every node; parent_index: the root is its own parent;
        root_index: the root of every graph; batch: graph of every node.
        num_heads: attention heads at this site (1 for ``fusion``).
        training: whether the model is training.
        message_index: for ``message`` and ``message_scale``: (2, m) source and target of each
            directed edge.
        message_direction: for the message sites: 0 parent -> child (down), 1 child -> parent (up).
        layer: for the message sites and ``nodes``: index of the message-passing layer.
        value: the tensor the bias is added to, where the site has one (see the table).
        importance: the data's per-node ``importance`` annotation, where the batch has one.
        groups: each sample's ``group`` ("" for none) at the model's own sites, in the batch's
            order; None where the vectors no longer belong to their samples (remixed modalities).
        y: each sample's class index, in training forwards only (None at use, so that no bias
            can read the labels of the data it scores).
        text_input: each sample's frozen text embedding as the batch holds it (permuted where a
            reliance measure shuffles the text), at the model's own sites; None without one.
        remix: at the ``logits`` site, ``remix(modality, source)``: the head's logits before
            this site's biases if each sample had the ``text`` or ``graph`` of ``source`` (a
            permutation of the batch, or one vector for every sample); None at other sites.

    Shapes:
        depth, parent_index, batch, importance: (n,); root_index: (b,); message_index: (2, m);
        message_direction: (m,); value: as the bias of the site; remix(modality, source) with
        source (b,) int64 or (t,) / (g,) float -> (b, c); text_input: (b, e).
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
    value: Tensor | None = None
    importance: Tensor | None = None
    groups: tuple[str, ...] | None = None
    y: Tensor | None = None
    remix: Callable[[str, Tensor], Tensor] | None = None
    text_input: Tensor | None = None

    @property
    def num_graphs(self) -> int:
        return int(self.root_index.numel())

    def at(self, site: str, value: Tensor | None = None, layer: int | None = None) -> SiteContext:
        """The same context for another site (and value, and layer)."""
        return replace(self, site=site, value=value, layer=layer)


BiasFn = Callable[[str, SiteContext], Tensor | None]


def no_bias(site: str, ctx: SiteContext) -> None:
    """The bias function of a model without priors."""
    return None


def add_bias(value: Tensor, site: str, ctx: SiteContext, bias_fn: BiasFn) -> Tensor:
    """``value`` plus whatever the priors return at ``site`` (``ctx.value`` is ``value``)."""
    bias = bias_fn(site, ctx.at(site, value, ctx.layer))
    return value if bias is None else value + bias
