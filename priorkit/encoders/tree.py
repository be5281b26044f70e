"""``TreeEncoder``: node inputs, bidirectional tree attention layers, attention readout."""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import Tensor, nn
from torch_geometric.data import Batch

from priorkit.config import Settings
from priorkit.encoders.node_input import NodeInput, NodeInputConfig
from priorkit.encoders.readout import AttentionReadout
from priorkit.encoders.tree_attention import MessageEdges, TreeAttentionConv
from priorkit.encoders.tree_bag import TreeBag, TreeBagConfig
from priorkit.sites import BiasFn, SiteContext, add_bias, no_bias


class TreeEncoderConfig(Settings):
    """Args:
    hidden: node width d.  layers: message-passing layers.  heads: attention heads.
    dropout: on node states and attention weights.  node_input: see NodeInputConfig.
    bag: a bag of the whole tree's node features and users added to the graph vector
    (see TreeBagConfig; off by default).
    """

    hidden: int = Field(64, ge=2)
    layers: int = Field(2, ge=0)
    heads: int = Field(4, ge=1)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    node_input: NodeInputConfig = Field(default_factory=NodeInputConfig)
    bag: TreeBagConfig = Field(default_factory=TreeBagConfig)

    @model_validator(mode="after")
    def _heads_divide_the_width(self) -> TreeEncoderConfig:
        if self.hidden % self.heads:
            raise ValueError(f"heads: expected a divisor of hidden, {self.hidden} (got {self.heads})")
        return self


@dataclass(frozen=True)
class TreeEncoderOutput:
    """Shapes: nodes: (n, d); graph: (b, d); readout_attention: (n, h);
    message_attention: one (m, h) per layer; message_edges: the m directed edges;
    inputs: (n, d) the node inputs before message passing."""

    nodes: Tensor
    graph: Tensor
    readout_attention: Tensor
    message_attention: list[Tensor]
    message_edges: MessageEdges
    inputs: Tensor


class TreeEncoder(nn.Module):
    """Encodes a batch of trees; calls ``bias_fn`` at the ``message``, ``message_scale``,
    ``nodes`` and ``readout`` sites.

    Args:
        num_features: width of the node features.
        text_dim: width of node text embeddings (0: none).
        config: sizes and options.
        num_users: size of the user vocabulary (``node_input.users: vocab``).

    Shapes:
        graph: PyG batch with n nodes and b graphs; node_text_embedding: (n, t) -> TreeEncoderOutput.
    """

    def __init__(
        self,
        num_features: int,
        text_dim: int = 0,
        config: TreeEncoderConfig | None = None,
        num_users: int = 0,
    ):
        super().__init__()
        self.config = config or TreeEncoderConfig()
        c = self.config
        self.input = NodeInput(num_features, text_dim, c.hidden, c.node_input, num_users)
        self.convs = nn.ModuleList(TreeAttentionConv(c.hidden, c.heads, c.dropout) for _ in range(c.layers))
        self.norms = nn.ModuleList(nn.LayerNorm(c.hidden) for _ in range(c.layers))
        self.readout = AttentionReadout(c.hidden, c.heads)
        self.bag = TreeBag(num_features, c.hidden, c.bag, self.input.user_slots) if c.bag.enabled else None

    def context(self, graph: Batch, site: str, **extra: object) -> SiteContext:
        return SiteContext(
            site=site,
            depth=graph.depth,
            parent_index=graph.parent_index,
            root_index=graph.root_index,
            batch=graph.batch,
            num_heads=self.config.heads,
            training=self.training,
            importance=graph.get("importance"),
            **extra,
        )  # type: ignore[arg-type]

    def forward(
        self, graph: Batch, node_text_embedding: Tensor | None = None, bias_fn: BiasFn = no_bias
    ) -> TreeEncoderOutput:
        x = inputs = self.input(graph, node_text_embedding)
        edges = MessageEdges.from_tree_edges(graph.edge_index)
        attentions = []
        for layer, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            ctx = self.context(
                graph, "message", message_index=edges.index, message_direction=edges.direction, layer=layer
            )
            bias, scale = (
                bias_fn("message", ctx),
                bias_fn("message_scale", ctx.at("message_scale", layer=layer)),
            )
            out = conv(F.dropout(x, self.config.dropout, self.training), edges, bias, scale)
            x = norm(add_bias(x + F.gelu(out.x), "nodes", ctx, bias_fn))
            attentions.append(out.attention)
        num_graphs = int(graph.root_index.numel())
        readout = self.readout(x, graph.batch, num_graphs, bias_fn("readout", self.context(graph, "readout")))
        vector = readout.graph
        if self.bag is not None:
            slots = self.input.user_slot(graph.user_code) if self.input.user_slots else None
            bag = self.bag(graph.get("x"), slots, graph.batch, num_graphs)
            vector = vector if bag is None else vector + bag
        return TreeEncoderOutput(x, vector, readout.attention, attentions, edges, inputs)
