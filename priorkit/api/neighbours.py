"""``fit_neighbours``: a trained model's memory of labelled texts, mixed into its predictions
(``pk.predict(model, samples, neighbours=...)``).

Where texts recur (retold stories, near-duplicate posts), the nearest labelled texts know a
sample's label better than the network's smooth decision surface does. ``fit_neighbours`` keeps
the frozen text embeddings of the training and validation samples and chooses, on the validation
samples only, how many of them vote, how sharply, and the network's weight in the mixture
(:mod:`priorkit.functional.neighbours`; the network alone where they do not help).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from priorkit.api.ensemble import Ensemble, as_model, members_of
from priorkit.atomic import atomic_write, write_json
from priorkit.data.dataset import TreeDataset
from priorkit.data.sources import DataSource, as_dataset
from priorkit.data.splits import shared_ids
from priorkit.errors import ConfigError
from priorkit.functional.neighbours import NeighbourMix, choose_mix, neighbour_probabilities
from priorkit.locks import folder_lock
from priorkit.runs.graphs import text_features
from priorkit.runs.trained import TrainedModel

ARRAYS = "neighbours.npz"
SETTINGS = "neighbours.json"


@dataclass(frozen=True)
class TextNeighbours:
    """Labelled text embeddings and the mixture chosen with them for one trained model.

    Args:
        mix: the mixture (neighbours, temperature, the network's weight) chosen on validation data.
        labels: the class names as text, in the model's output order.
        embeddings: the frozen text embedding of every labelled sample (training and validation).
        codes: their class indices.
        encoder: the text encoder's namespace (the embeddings are only comparable within it).
        model: :func:`fingerprint` of the network or ensemble the mixture was chosen for (its
            weight suits those probabilities, not another model's); "" when not recorded
            (neighbours saved before priorkit recorded it: not checked).
        networks: how many networks that model averages (1: one network).

    Shapes:
        embeddings: (p, t); codes: (p,).
    """

    mix: NeighbourMix
    labels: tuple[str, ...]
    embeddings: np.ndarray
    codes: np.ndarray
    encoder: str
    model: str = ""
    networks: int = 1

    def apply(self, model: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """The model's probabilities mixed with the vote of the stored texts nearest to each sample.

        Shapes:
            model: (n, c); embeddings: (n, t) -> (n, c).
        """
        votes = neighbour_probabilities(
            embeddings, self.embeddings, self.codes, len(self.labels), self.mix.k, self.mix.temperature
        )
        return self.mix.mix(model, votes)

    def check(self, model: TrainedModel | Ensemble) -> None:
        """Refuse a model other than the one these neighbours were fitted for (another network,
        an ensemble's member for the ensemble, or the reverse)."""
        members = members_of(model)
        trained = members[0]  # members share their labels and text encoder
        refuse_remembering(model)
        names = tuple(str(name) for name in trained.schema.labels.names)
        if self.embeddings.shape[1] != trained.encoder.dim:
            raise ConfigError(
                f"neighbours: embeddings of width {self.embeddings.shape[1]} (got a model whose text encoder "
                f"gives {trained.encoder.dim}); fit them again with pk.fit_neighbours(model, train, val)."
            )
        if names != self.labels or trained.encoder.namespace != self.encoder:
            raise ConfigError(
                f"neighbours: fitted for classes {list(self.labels)} and text encoder {self.encoder} "
                f"(got a model of {list(names)}, {trained.encoder.namespace}); fit them again with "
                "pk.fit_neighbours(model, train, val)."
            )
        got = fingerprint(model) if self.model else ""
        if got != self.model:
            raise ConfigError(
                f"neighbours: fitted for {_networks(self.networks)} with model fingerprint "
                f"{self.model[:12]} (got {_networks(len(members))}, {got[:12]}); the "
                "network's weight in the mixture was chosen for that model's probabilities. Fit them "
                "again with pk.fit_neighbours(model, train, val)."
            )

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``neighbours.npz`` and ``neighbours.json`` into ``folder``; returns it."""
        out = Path(folder)
        with folder_lock(out, "a folder no other process saves into", "Save into another folder."):
            with atomic_write(out / ARRAYS, "wb") as handle:
                arrays = {
                    "embeddings": self.embeddings.astype(np.float32),
                    "codes": self.codes.astype(np.int64),
                }
                np.savez(handle, **arrays)
            settings = {
                "mix": asdict(self.mix),
                "labels": list(self.labels),
                "encoder": self.encoder,
                "model": self.model,
                "networks": self.networks,
            }
            write_json(out / SETTINGS, settings)
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> TextNeighbours:
        """Read what :meth:`save` wrote (a missing or foreign file: a ConfigError naming it)."""
        source = Path(folder)
        try:
            settings = json.loads((source / SETTINGS).read_text(encoding="utf-8"))
            arrays = np.load(source / ARRAYS)
            neighbours = cls(
                mix=NeighbourMix(**settings["mix"]),
                labels=tuple(settings["labels"]),
                embeddings=arrays["embeddings"],
                codes=arrays["codes"],
                encoder=str(settings["encoder"]),
                model=str(settings.get("model") or ""),  # absent: saved before it was recorded
                networks=int(settings.get("networks", 1)),
            )
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
            raise ConfigError(
                f"{source}: expected the {SETTINGS} and {ARRAYS} that TextNeighbours.save writes "
                f"(got {type(error).__name__}: {error})."
            ) from None
        problem = neighbours.problem()
        if problem:
            raise ConfigError(f"{source}: {problem}; fit the neighbours again (pk.fit_neighbours).")
        return neighbours

    def problem(self) -> str:
        """What makes these neighbours unusable (read from a damaged or edited folder), or ''."""
        codes, vectors, mix = self.codes, self.embeddings, self.mix
        if (
            vectors.ndim != 2
            or not np.issubdtype(vectors.dtype, np.floating)
            or not np.isfinite(vectors).all()
        ):
            return (
                f"expected finite embeddings, one row per text (got {vectors.dtype} of shape {vectors.shape})"
            )
        if len(codes) != len(vectors) or not len(vectors):
            got = f"{len(codes)} labels for {len(vectors)} texts"
            return f"expected one label per text, at least one (got {got})"
        if not np.issubdtype(codes.dtype, np.integer) or (
            len(codes) and not 0 <= codes.min() <= codes.max() < len(self.labels)
        ):
            return f"expected label codes from 0 to {len(self.labels) - 1} (got {codes.dtype} values)"
        numbers = [mix.k, mix.temperature, mix.weight]
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in numbers
        ):
            return f"expected numbers in mix (got k, temperature, weight {numbers!r})"
        if not isinstance(mix.k, int) or mix.k < 1 or mix.temperature <= 0 or not 0 <= mix.weight <= 1:
            return f"expected mix.k a whole number >= 1, temperature > 0 and weight in 0..1 (got {numbers})"
        return ""


def fingerprint(model: TrainedModel | Ensemble) -> str:
    """SHA-256 of the weights and buffers of every network that predicts (an ensemble's members
    in order): equal for the same trained model read again, different for any other."""
    digest = hashlib.sha256()
    for member in members_of(model):
        for name, value in member.model.state_dict().items():
            digest.update(name.encode())
            if isinstance(value, torch.Tensor):
                digest.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
            else:  # a module's extra state (get_extra_state): its text
                digest.update(repr(value).encode())
    return digest.hexdigest()


def refuse_remembering(model: TrainedModel | Ensemble) -> None:
    """Refuse a model that already mixes in its text neighbours (a prior that remembers texts,
    ``text_neighbours``): fitted neighbours would mix them in twice."""
    named = sorted({label for member in members_of(model) for label in member.model.priors.remembering()})
    if named:
        raise ConfigError(
            f"neighbours: expected a model without a memory of its own (got one with the prior "
            f"{', '.join(named)}, which already mixes its text neighbours into every prediction). "
            "Predict without neighbours=, or train the model without the prior."
        )


def _networks(count: int) -> str:
    return "one network" if count == 1 else f"an ensemble of {count} networks"


def text_embeddings(trained: TrainedModel, dataset: TreeDataset) -> np.ndarray:
    """The model's frozen text embedding of each sample's text, through the embedding cache.

    Shapes:
        -> (len(dataset), t).
    """
    return text_features(dataset, trained.config, trained.encoder)


def _codes(trained: TrainedModel, dataset: TreeDataset, where: str) -> np.ndarray:
    labels = trained.schema.labels
    codes = [labels.index(s.label, f"{where}: sample {s.id}: label") for s in dataset]
    return np.array(codes, dtype=np.int64)


def fit_neighbours(
    model: TrainedModel | Ensemble | str | os.PathLike[str], train: DataSource, val: DataSource
) -> TextNeighbours:
    """Fit a trained model's text neighbours: the mixture is chosen on ``val`` with neighbours
    drawn from ``train``; the returned memory holds both (for new samples, as a fold's test
    part sees training and validation). Every sample needs its label.

    Args:
        model: a :class:`TrainedModel` or an ensemble (its averaged probabilities are mixed), or
            the path of a run directory, saved model folder or ensemble folder.
        train, val: labelled samples (a JSONL path, a dataset, or a list of samples or records),
            usually the model's own training and validation data.
    """
    from priorkit.api.prediction import predict  # the layer's own prediction path

    found = as_model(model)
    refuse_remembering(found)
    members = members_of(found)
    trained = members[0]  # members share their labels and text encoder
    given = {"train": train, "val": val}
    names = {k: str(v) if isinstance(v, (str, os.PathLike)) else k for k, v in given.items()}  # files by name
    parts = {name: as_dataset(data, names[name]) for name, data in given.items()}
    empty = [names[name] for name, data in parts.items() if len(data) == 0]
    if empty:
        raise ConfigError(
            f"{', '.join(empty)}: expected labelled samples (got none): the neighbours vote with the "
            "training part and their mixture is chosen on the validation part."
        )
    shared = shared_ids(parts["val"], parts["train"])
    if shared:
        raise ConfigError(
            f"{names['val']}: expected validation samples apart from the training ones (got "
            f"{len(shared)} of {len(parts['val'])} with a training sample's id, first {shared[0]!r}): "
            "their own labels would vote for them, and the network's weight would be chosen near 0. "
            "Give the model's validation part, not its training part."
        )
    codes = {name: _codes(trained, data, names[name]) for name, data in parts.items()}
    embeddings = {name: text_embeddings(trained, data) for name, data in parts.items()}
    labels = tuple(str(name) for name in trained.schema.labels.names)
    predictions = predict(found, parts["val"])
    model_val = np.array([[p.probabilities[name] for name in labels] for p in predictions])
    mix = choose_mix(model_val, embeddings["val"], codes["val"], embeddings["train"], codes["train"])
    return TextNeighbours(
        mix=mix,
        labels=labels,
        embeddings=np.concatenate([embeddings["train"], embeddings["val"]]),
        codes=np.concatenate([codes["train"], codes["val"]]),
        encoder=trained.encoder.namespace,
        model=fingerprint(found),
        networks=len(members),
    )
