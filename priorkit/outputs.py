"""``PriorModelOutput``: everything a forward of :class:`~priorkit.model.PriorModel` returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor


@dataclass
class PriorModelOutput:
    """Args:
        logits: class scores.
        losses: flat dict of scalar losses (``task`` and ``prior_name/key``); empty without labels.
        readout_attention: the readout attention averaged over heads (sums to 1 per graph).
        readout_attention_heads: the same per head.
        modality_weights: fusion weights over (text, graph), or None for a fusion without them.
        text, graph: the modality vectors that entered the fusion; nodes: final node states.
        message_attention: per message-passing layer, attention over directed edges.

    Shapes:
        logits: (b, c); readout_attention: (n,); readout_attention_heads: (n, h);
        modality_weights: (b, 2); text: (b, t); graph: (b, d); nodes: (n, d);
        message_attention: list of (m, h).
    """

    logits: Tensor
    readout_attention: Tensor
    readout_attention_heads: Tensor
    modality_weights: Tensor | None
    text: Tensor
    graph: Tensor
    nodes: Tensor
    message_attention: list[Tensor]
    losses: dict[str, Tensor] = field(default_factory=dict)
