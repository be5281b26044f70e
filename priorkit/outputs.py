"""``PriorModelOutput``: everything a forward of :class:`~priorkit.model.PriorModel` returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from torch import Tensor

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch


@dataclass
class PriorModelOutput:
    """Args:
        logits: class scores.
        losses: flat dict of scalar losses (``task`` and ``prior_name/key``); empty without labels.
        readout_attention: the readout attention averaged over heads (sums to 1 per graph).
        readout_attention_heads: the same per head.
        modality_weights: fusion weights over (text, graph), or None for a fusion without them.
        text, graph: the modality vectors that entered the fusion; nodes: final node states.
        fused: the fused vector the head reads (None where a forward has none).
        message_attention: per message-passing layer, attention over directed edges.
        node_inputs: node states before message passing (what input gradients are taken of).
        message_index: sender and receiver of each directed edge of ``message_attention``.
        remix: ``remix(modality, source)``: logits if sample i had the ``text`` or ``graph`` of
            sample ``source[i]`` (a permutation), or the vector ``source`` in its place
            (fusion and head rerun, encoders not; :meth:`~priorkit.model.PriorModel.remix`).
        rerun: the model's forward, for priors that compare with a counterfactual batch.
        violations: per enforced rule (``prior/metric``), its violation on this batch
            (:meth:`~priorkit.priors.check.Check.violation`: > 0 broken), detached.

    Shapes:
        logits: (b, c); readout_attention: (n,); readout_attention_heads: (n, h);
        modality_weights: (b, 2); text: (b, t); graph: (b, d); nodes: (n, d); fused: (b, h);
        message_attention: list of (m, h); node_inputs: (n, d); message_index: (2, m); remix(...) -> (b, c).
    """

    logits: Tensor
    readout_attention: Tensor
    readout_attention_heads: Tensor
    modality_weights: Tensor | None
    text: Tensor
    graph: Tensor
    nodes: Tensor
    message_attention: list[Tensor]
    node_inputs: Tensor | None = None
    fused: Tensor | None = None
    message_index: Tensor | None = None
    remix: Callable[[str, Tensor], Tensor] | None = field(default=None, repr=False)
    rerun: Callable[[PriorBatch], Any] | None = field(default=None, repr=False)
    losses: dict[str, Tensor] = field(default_factory=dict)
    violations: dict[str, Tensor] = field(default_factory=dict)
