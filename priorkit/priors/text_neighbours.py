"""``TextNeighboursPrior``: "samples whose texts read alike carry the same label".

The knowledge is that a labelled text near a new one (a retold story, a near-duplicate post)
says more about its label than a smooth decision surface does. Training is unchanged. Before
training the prior keeps the frozen text embedding and label of every training sample (its
memory); at the end of every validation pass it adds the validation samples to the memory and
chooses, on them alone, how many neighbours vote, how sharply, and the network's share of the
mixture ``p = w * p_network + (1 - w) * p_neighbours`` (the highest validation likelihood,
:func:`priorkit.functional.neighbours.choose_mix`; ``w = 1``, the network alone, wherever the
neighbours do not help). Wherever the model is used (``pk.evaluate``, ``pk.predict``,
``priorkit predict``) its logits become the log of that mixture; the checkpoint carries the
memory and the choice. While training validates, the network is scored alone.

It needs a frozen text encoder (the memory holds the embeddings a frozen encoder precomputes)
and keeps every training and validation text in memory: about 1.5 KB per sample at width 384.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import torch
from pydantic import Field, field_validator
from torch import Tensor

from priorkit.errors import ConfigError
from priorkit.functional.neighbours import (
    NEIGHBOURS,
    TEMPERATURES,
    WEIGHTS,
    choose_mix,
    neighbour_probabilities,
)
from priorkit.priors.base import PRIORS, ModelDims, Prior, PriorConfig
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput

_FLOOR = 1e-12  # log of a mixed probability: a class no neighbour and no network gives is very unlikely


class TextNeighboursConfig(PriorConfig):
    """Args:
    neighbours: the numbers of nearest texts that may vote; the one used is chosen on validation data.
    temperatures: the softness of their similarity weights, ``exp((cos - 1) / t)``; chosen
        the same way.
    network_weight: the network's share of the mixture; ``null`` (default): chosen on
        validation data, from 0 to 1 by tenths.
    """

    name: Literal["text_neighbours"] = "text_neighbours"

    neighbours: list[int] = Field(default_factory=lambda: list(NEIGHBOURS), min_length=1)
    temperatures: list[float] = Field(default_factory=lambda: list(TEMPERATURES), min_length=1)
    network_weight: float | None = Field(None, ge=0.0, le=1.0)

    @field_validator("neighbours")
    @classmethod
    def _counts(cls, value: list[int]) -> list[int]:
        if any(k < 1 for k in value):
            raise ValueError(f"expected numbers of neighbours of at least 1 (got {value})")
        return value

    @field_validator("temperatures")
    @classmethod
    def _temperatures(cls, value: list[float]) -> list[float]:
        if any(not t > 0 for t in value):
            raise ValueError(f"expected temperatures above 0 (got {value})")
        return value


@PRIORS.register("text_neighbours")
class TextNeighboursPrior(Prior):
    """The network's class probabilities mixed with the vote of the nearest remembered texts,
    wherever the model is used.

    Shapes:
        bias("logits") -> (b, c) once a mixture is chosen, outside training and validation;
        memory: embeddings (p, t), codes (p,); settings (3,) once chosen (k, temperature, weight).
    """

    name = "text_neighbours"
    Config = TextNeighboursConfig
    config: TextNeighboursConfig
    remembers = True

    def bind(self, dims: ModelDims) -> None:
        self.classes = dims.classes
        self.train_size: int | None = None  # the memory's first rows are the training texts
        # buffers, so that checkpoints and saved folders (safetensors) carry them; their sizes
        # are the data's, set when they are filled or loaded
        self.register_buffer("embeddings", torch.zeros(0, dims.text))
        self.register_buffer("codes", torch.zeros(0, dtype=torch.long))
        self.register_buffer("settings", torch.zeros(0, dtype=torch.float64))  # k, temperature, weight
        # the last texts voted on, the memory they were searched in, and their vote; a new memory
        # or choice (remember, load) forgets it
        self._last_vote: tuple[Tensor, Tensor, Tensor] | None = None

    @property
    def choice(self) -> dict[str, float]:
        """The mixture chosen on validation data (``k``, ``temperature``, ``weight``); empty before."""
        return (
            dict(zip(("k", "temperature", "weight"), self.settings.tolist(), strict=True))
            if len(self.settings)
            else {}
        )

    def remember(self, part: str, text: Tensor, y: Tensor, logits: Tensor | None = None) -> None:
        """``train``: keep the training texts. ``val``: choose the mixture on the validation
        texts (the network's ``logits`` on them), then keep them as well."""
        if part not in ("train", "val"):
            raise ValueError(f"text_neighbours: expected the part train or val (got {part!r})")
        text, y = text.detach().float().cpu(), y.detach().long().cpu()
        self._last_vote = None
        if part == "train":
            self.train_size = len(y)
            self.embeddings, self.codes = text, y
            self.settings = torch.zeros(0, dtype=torch.float64)
            return
        if self.train_size is None or logits is None:
            raise ConfigError(
                "text_neighbours: expected the training texts before validation (got none): the "
                "run gives them when training starts; a model trained without them cannot choose."
            )
        pool, pool_codes = self.embeddings[: self.train_size].cpu(), self.codes[: self.train_size].cpu()
        model_val = torch.softmax(logits.detach().float().cpu(), -1).numpy()
        fixed = self.config.network_weight
        mix = choose_mix(
            model_val,
            text.numpy(),
            y.numpy(),
            pool.numpy(),
            pool_codes.numpy(),
            neighbours=tuple(self.config.neighbours),
            temperatures=tuple(self.config.temperatures),
            weights=WEIGHTS if fixed is None else (fixed,),
        )
        self.settings = torch.tensor([mix.k, mix.temperature, mix.weight], dtype=torch.float64)
        self.embeddings, self.codes = torch.cat([pool, text]), torch.cat([pool_codes, y])

    def votes(self, text: Tensor) -> Tensor:
        """The remembered texts' vote for each text, kept for the batch it was asked for (the
        bias at use and the measure of the same batch share one search). Shapes: text: (b, t)
        -> (b, c)."""
        last = self._last_vote
        if last is not None and last[0] is text and last[1] is self.embeddings:  # moved: a new memory
            return last[2]
        found = neighbour_probabilities(
            text.detach().float().cpu().numpy(),
            self.embeddings.cpu().numpy(),  # buffers move with the model; the vote is numpy's
            self.codes.cpu().numpy(),
            self.classes,
            int(self.choice["k"]),
            self.choice["temperature"],
        )
        vote = torch.from_numpy(found).to(text.device, torch.float32)
        self._last_vote = (text, self.embeddings, vote)
        return vote

    def _mixing(self, ctx: SiteContext) -> bool:
        return bool(self.choice) and not ctx.training and not self.validating and ctx.text_input is not None

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        if site != "logits" or ctx.value is None or not self._mixing(ctx) or self.choice["weight"] >= 1.0:
            return None
        assert ctx.text_input is not None
        logits, weight = ctx.value, self.choice["weight"]
        mixed = weight * torch.softmax(logits.float(), -1) + (1.0 - weight) * self.votes(ctx.text_input)
        return (mixed.clamp_min(_FLOOR).log() - logits.float()).to(logits.dtype)

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        """``vote_agreement``: the share of samples whose prediction is the remembered texts'
        top class."""
        if not self.choice or batch.text_embedding is None:
            return {}
        votes = self.votes(batch.text_embedding).argmax(-1)
        agree = (outputs.logits.detach().argmax(-1) == votes.to(outputs.logits.device)).float().mean()
        return {"vote_agreement": float(agree)}

    def summarise(self, measured: dict[str, float]) -> dict[str, float]:
        """``network_weight``: the network's share of the mixture (1: the network alone)."""
        return {"network_weight": self.choice["weight"]} if self.choice else {}

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        """Take the memory's sizes from the loaded state, then load it (damaged: named)."""
        found = {name: state_dict.get(prefix + name) for name in ("embeddings", "codes", "settings")}
        if all(isinstance(value, Tensor) for value in found.values()):
            embeddings, codes, settings = found.values()
            if (
                embeddings.ndim != 2
                or codes.ndim != 1
                or len(codes) != len(embeddings)
                or len(settings) not in (0, 3)
            ):
                raise ConfigError(
                    f"text_neighbours: expected a memory of one label per text and a chosen mixture "
                    f"(got {tuple(embeddings.shape)} embeddings, {tuple(codes.shape)} labels, "
                    f"{len(settings)} settings); the saved model is damaged: train it again."
                )
            for name, value in found.items():
                setattr(self, name, torch.empty_like(value))
            self._last_vote = None
        super()._load_from_state_dict(state_dict, prefix, *args)
