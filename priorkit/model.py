"""``PriorModel``: text encoder + tree encoder + fusion + head, with priors at the named sites."""

from __future__ import annotations

from collections.abc import Sequence, Sized
from dataclasses import replace
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from pydantic import Field, SerializeAsAny, field_validator
from torch import Tensor, nn

from priorkit.config import Settings, registered_config
from priorkit.data.batch import PriorBatch
from priorkit.encoders.readout import mean_over_heads
from priorkit.encoders.text import TextEncoder, TextEncoderConfig
from priorkit.encoders.tree import TreeEncoder, TreeEncoderConfig
from priorkit.errors import ConfigError
from priorkit.fusion import FUSIONS, FusionConfig, GatedConfig
from priorkit.outputs import PriorModelOutput
from priorkit.priors.base import ModelDims, PriorConfig
from priorkit.priors.build import build_priors
from priorkit.priors.stack import PriorStack
from priorkit.sites import SiteContext, add_bias


class ModelConfig(Settings):
    """The ``model:`` section of a training config.

    Args:
        text_encoder: the text encoder (:class:`TextEncoderConfig`: ``model``, a Hugging Face id
            or local folder, ``pooling``, ``max_length``, ``trainable_layers``,
            ``learning_rate``, ``batch_size``); a bare string is its ``model``.
        node_text: embed node texts (PHEME replies) with the same encoder.
        text_norm: layer-normalise the text vector before it enters the model. Pooled sentence
            embeddings are small in scale (all-MiniLM-L6-v2 on Twitter15: elements of standard
            deviation about 0.2), which slows what the layers after them learn; standardised,
            each vector reaches them at unit scale (on Twitter15 worth several accuracy points).
        fusion: ``concat``, ``gated``, ``cross_attention`` or a registered fusion, by name or as a
            mapping with its arguments (``{name: cross_attention, heads: 8}``); held as that
            fusion's typed config.
        hidden: width of the fused vector; tree: tree encoder settings; dropout: in the head.
    """

    text_encoder: TextEncoderConfig = Field(default_factory=TextEncoderConfig)
    node_text: bool = True
    text_norm: bool = False
    fusion: SerializeAsAny[FusionConfig] = Field(default_factory=GatedConfig)
    hidden: int = Field(64, ge=2)
    tree: TreeEncoderConfig = Field(default_factory=TreeEncoderConfig)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)

    @field_validator("text_encoder", mode="before")
    @classmethod
    def _model_id(cls, value: Any) -> Any:
        return {"model": value} if isinstance(value, str) else value

    @field_validator("fusion", mode="before")
    @classmethod
    def _typed_fusion(cls, value: Any) -> FusionConfig:
        return registered_config(FUSIONS, value, FusionConfig, "fusion")

    def user_min_count(self) -> int | None:
        """The vocabulary threshold when users are numbered by a training vocabulary, else None."""
        node_input = self.tree.node_input
        return node_input.user_min_count if node_input.users == "vocab" else None


class ClassNames(Protocol):
    """The classes of a model in output order (a :class:`~priorkit.data.labels.LabelSpace`)."""

    @property
    def names(self) -> tuple[Any, ...]: ...

    def __len__(self) -> int: ...


class DataShape(Protocol):
    """What a model is sized by (a run's :class:`~priorkit.runs.schema.DataSchema`): node
    feature width, class names, whether nodes carry texts, the user vocabulary (or None), the
    groups of the training samples."""

    num_features: int
    node_text: bool
    groups: tuple[str, ...]
    class_mix: tuple[float, ...]
    ungrouped: tuple[str, ...]
    pairs: int
    unpaired: tuple[str, ...]
    important: int

    @property
    def labels(self) -> ClassNames: ...

    @property
    def users(self) -> Sized | None: ...


class PriorModel(nn.Module):
    """The text + tree model. A plain ``nn.Module``; training lives in :mod:`priorkit.training`.

    Args:
        config: the model settings.
        num_features: node feature width; num_classes: output classes.
        text_dim: width of text embeddings; node_text_dim: of node text embeddings (0: none).
        text_encoder: the encoder, run inside ``forward`` when it is fine-tuned; a frozen
            encoder is used ahead of time (embeddings arrive with the batch) and may be None.
        priors: the priors (an empty stack by default).
        num_users: size of the training user vocabulary (``tree.node_input.users: vocab``).
        labels: the class names in output order, for priors that name classes.
        groups: the groups of the training samples, for priors about groups.
        ungrouped: the training samples without a group when others have one (their ids).
        pairs: the training samples that are counterfactuals of another one (-1: not known).
        unpaired: the training samples whose ``counterfactual_of`` names no training sample (ids).
        important: how many training samples mark some node important (-1: not known).
        class_mix: the training samples' share of each class, for priors about the class mix.

    Shapes:
        forward(batch) with b samples and n nodes -> PriorModelOutput (logits (b, c), ...).
    """

    def __init__(
        self,
        config: ModelConfig,
        num_features: int,
        num_classes: int,
        text_dim: int,
        node_text_dim: int = 0,
        text_encoder: TextEncoder | None = None,
        priors: PriorStack | None = None,
        num_users: int = 0,
        labels: Sequence[str] = (),
        groups: Sequence[str] = (),
        class_mix: Sequence[float] = (),
        ungrouped: Sequence[str] = (),
        pairs: int = -1,
        unpaired: Sequence[str] = (),
        important: int = -1,
    ) -> None:
        super().__init__()
        self.config = config
        self.text_encoder = text_encoder if text_encoder is not None and not text_encoder.frozen else None
        self.text_norm = nn.LayerNorm(text_dim) if config.text_norm else nn.Identity()
        self.tree = TreeEncoder(num_features, node_text_dim, config.tree, num_users)
        self.fusion = config.fusion.build(text_dim, config.tree.hidden, config.hidden)
        self.head = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, config.hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, num_classes),
        )
        self.priors = priors if priors is not None else PriorStack()
        names = tuple(str(label) for label in labels)
        dims = ModelDims(
            text=text_dim,
            graph=config.tree.hidden,
            heads=config.tree.heads,
            classes=num_classes,
            labels=names,
            fused=config.hidden,
            groups=tuple(groups),
            class_mix=tuple(class_mix),
            ungrouped=tuple(ungrouped),
            pairs=pairs,
            unpaired=tuple(unpaired),
            important=important,
        )
        self.priors.bind(dims)

    @classmethod
    def from_config(
        cls,
        config: ModelConfig,
        priors: Sequence[PriorConfig],
        data: DataShape,
        encoder: TextEncoder,
    ) -> PriorModel:
        """The (untrained) model of a run: ``config``, its ``priors`` (built here, in order),
        sized by the run's ``data`` and its text ``encoder``. Training and both loaders
        (run folder, saved model) build the model with it.
        """
        stack = build_priors(priors)
        return cls(
            config,
            data.num_features,
            len(data.labels),
            encoder.dim,
            encoder.dim if data.node_text and config.node_text else 0,
            encoder,
            stack,
            len(data.users) if data.users is not None else 0,
            tuple(str(name) for name in data.labels.names),
            data.groups,
            data.class_mix,
            data.ungrouped,
            data.pairs,
            data.unpaired,
            data.important,
        )

    def text_vectors(self, batch: PriorBatch) -> Tensor:
        if self.text_encoder is not None:
            return self.text_encoder(batch.text)
        if batch.text_embedding is None:
            raise ConfigError(
                "PriorModel: expected text embeddings with the batch (got none). Attach them with "
                "priorkit.encoders.attach_text_embeddings, or pass a fine-tuned text_encoder."
            )
        return batch.text_embedding

    def classify(
        self,
        text: Tensor,
        graph: Tensor,
        nodes: Tensor,
        node_batch: Tensor,
        ctx: SiteContext,
        logits_site: bool = True,
    ) -> tuple[Tensor, Tensor | None, Tensor]:
        """Fusion and head: logits (b, c), modality weights (b, 2) or None, the fused vector (b, d)
        that the head reads (after the priors' bias at the ``fused`` site). The priors' biases
        at the ``logits`` site are added unless ``logits_site`` is false; there ``ctx.remix``
        reruns this function (without that site) with one modality replaced."""
        fused = self.fusion(text, graph, nodes, node_batch, ctx, self.priors.bias)
        vector = add_bias(fused.fused, "fused", ctx, self.priors.bias)
        logits = self.head(vector)
        if logits_site:

            def remix(modality: str, source: Tensor) -> Tensor:
                inputs = self.remixed(modality, source, text, graph, nodes, node_batch)
                return self.classify(*inputs, _mixed(ctx), logits_site=False)[0]

            logits = add_bias(logits, "logits", replace(ctx, remix=remix), self.priors.bias)
        return logits, fused.modality_weights, vector

    def forward(self, batch: PriorBatch) -> PriorModelOutput:
        graph = batch.graph
        tree = self.tree(graph, batch.node_text_embedding, self.priors.bias)
        ctx = SiteContext(
            site="fusion",
            depth=graph.depth,
            parent_index=graph.parent_index,
            root_index=graph.root_index,
            batch=graph.batch,
            num_heads=1,
            training=self.training,
            groups=tuple(batch.groups),
            y=batch.y if self.training else None,
            text_input=batch.text_embedding,
        )
        text = self.text_norm(self.text_vectors(batch))
        if self.training and not text.requires_grad:  # frozen text: priors may still take input gradients
            text = text.detach().requires_grad_()
        text = add_bias(text, "text", ctx, self.priors.bias)
        graph_vector = add_bias(tree.graph, "graph", ctx, self.priors.bias)
        logits, weights, fused = self.classify(text, graph_vector, tree.nodes, graph.batch, ctx)

        def remix(modality: str, source: Tensor) -> Tensor:
            return self.remix(modality, source, text, graph_vector, tree.nodes, ctx)

        output = PriorModelOutput(
            logits=logits,
            readout_attention=mean_over_heads(tree.readout_attention),
            readout_attention_heads=tree.readout_attention,
            modality_weights=weights,
            text=text,
            graph=graph_vector,
            fused=fused,
            nodes=tree.nodes,
            message_attention=tree.message_attention,
            node_inputs=tree.inputs,
            message_index=tree.message_edges.index,
            remix=remix,
            rerun=self,
        )
        if batch.y is not None:
            output.losses["task"] = F.cross_entropy(output.logits, batch.y)
            output.losses.update(self.priors.loss(output, batch))
        return output

    def remix(
        self, modality: str, source: Tensor, text: Tensor, graph: Tensor, nodes: Tensor, ctx: SiteContext
    ) -> Tensor:
        """Logits when each sample gets ``modality`` (``text`` or ``graph``: its vector and, for
        fusions that read them, its nodes) from ``source``; encoders are not rerun.

        Args:
            source: a permutation (sample i takes the modality of sample ``source[i]``), or one
                vector that every sample takes in its place (and every node of its graph).

        Shapes:
            source: (b,) int64, or (t,) / (g,) float; text: (b, t); graph: (b, g); nodes: (n, g)
            -> (b, c).
        """
        inputs = self.remixed(modality, source, text, graph, nodes, ctx.batch)
        return self.classify(*inputs, _mixed(ctx, modality, source))[0]

    @staticmethod
    def remixed(
        modality: str, source: Tensor, text: Tensor, graph: Tensor, nodes: Tensor, node_batch: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(text, graph, nodes, node_batch) with ``modality`` taken from ``source`` (see
        :meth:`remix`)."""
        if modality not in ("text", "graph"):
            raise ConfigError(f"remix: expected modality text or graph (got {modality!r}).")
        if source.is_floating_point():  # one vector in every sample's place
            if modality == "text":
                return source.expand_as(text), graph, nodes, node_batch
            return text, source.expand_as(graph), source.expand_as(nodes), node_batch
        if modality == "text":
            return text[source], graph, nodes, node_batch
        owner = torch.empty_like(source)
        owner[source] = torch.arange(source.numel(), device=source.device)
        return text, graph[source], nodes, owner[node_batch]


def _mixed(ctx: SiteContext, modality: str = "", source: Tensor | None = None) -> SiteContext:
    """The context of remixed vectors: they are no longer their samples' (no groups, no labels);
    a text taken from other samples (``source``, as :meth:`PriorModel.remix` takes it) brings
    their text input, one vector in every sample's place none."""
    text_input = ctx.text_input
    if modality == "text" and text_input is not None and source is not None:
        text_input = None if source.is_floating_point() else text_input[source]
    return replace(ctx, groups=None, y=None, remix=None, text_input=text_input)
